import { type Cleaned, impossible, kept, prepare } from './clean-result.ts';

/*
 * Regions are compared by their short Chinese names: 广东省, 广东 and Guangdong Province are all
 * 广东; 深圳市, Shenzhen and shenzhen shi are all 深圳. The administrative suffix (省, 市, 自治区 and
 * the ethnic autonomous-region names, 特别行政区, 地区) is stripped the same way for every input.
 * The tables hold the 34 provincial-level regions and the larger cities only: a name not in them
 * is kept as written (suffix stripped), not guessed at.
 */

/** Provincial-level regions: short Chinese name, then the pinyin or English names seen in exports. */
const PROVINCES: [string, ...string[]][] = [
  ['北京', 'beijing', 'peking'], ['天津', 'tianjin'], ['上海', 'shanghai'], ['重庆', 'chongqing'],
  ['河北', 'hebei'], ['山西', 'shanxi'], ['辽宁', 'liaoning'], ['吉林', 'jilin'], ['黑龙江', 'heilongjiang'],
  ['江苏', 'jiangsu'], ['浙江', 'zhejiang'], ['安徽', 'anhui'], ['福建', 'fujian'], ['江西', 'jiangxi'],
  ['山东', 'shandong'], ['河南', 'henan'], ['湖北', 'hubei'], ['湖南', 'hunan'], ['广东', 'guangdong', 'canton'],
  ['海南', 'hainan'], ['四川', 'sichuan'], ['贵州', 'guizhou'], ['云南', 'yunnan'], ['陕西', 'shaanxi'],
  ['甘肃', 'gansu'], ['青海', 'qinghai'], ['台湾', 'taiwan'], ['内蒙古', 'neimenggu', 'inner mongolia', 'nei mongol'],
  ['广西', 'guangxi'], ['西藏', 'xizang', 'tibet'], ['宁夏', 'ningxia'], ['新疆', 'xinjiang'],
  ['香港', 'hong kong', 'hongkong', 'xianggang'], ['澳门', 'macau', 'macao', 'aomen'],
];

/** Larger cities and their province, so that a city alone also fills the province. */
const CITIES: [string, string, ...string[]][] = [
  ['广州', '广东', 'guangzhou'], ['深圳', '广东', 'shenzhen'], ['东莞', '广东', 'dongguan'], ['佛山', '广东', 'foshan'],
  ['杭州', '浙江', 'hangzhou'], ['宁波', '浙江', 'ningbo'], ['南京', '江苏', 'nanjing'], ['苏州', '江苏', 'suzhou'],
  ['无锡', '江苏', 'wuxi'], ['成都', '四川', 'chengdu'], ['武汉', '湖北', 'wuhan'], ['西安', '陕西', "xi'an", 'xian'],
  ['长沙', '湖南', 'changsha'], ['郑州', '河南', 'zhengzhou'], ['济南', '山东', 'jinan'], ['青岛', '山东', 'qingdao'],
  ['厦门', '福建', 'xiamen'], ['福州', '福建', 'fuzhou'], ['合肥', '安徽', 'hefei'], ['沈阳', '辽宁', 'shenyang'],
  ['大连', '辽宁', 'dalian'], ['昆明', '云南', 'kunming'], ['南宁', '广西', 'nanning'], ['哈尔滨', '黑龙江', 'harbin', 'haerbin'],
];

/** Direct-administered municipalities and SARs: the province and the city are the same name. */
const CITY_PROVINCES = new Set(['北京', '天津', '上海', '重庆', '香港', '澳门']);

const byName = new Map<string, string>();
const provinceOfCity = new Map<string, string>();
for (const [zh, ...other] of PROVINCES) for (const n of [zh, ...other]) byName.set(n, zh);
for (const [zh, province, ...other] of CITIES) {
  provinceOfCity.set(zh, province);
  for (const n of [zh, ...other]) byName.set(n, zh);
}

const ZH_SUFFIX = /(?:壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市|地区)$/;
const EN_SUFFIX = /\s*(?:province|city|municipality|autonomous region|special administrative region|sar|sheng|shi)$/;

/** The short name of one province or city. */
export function regionName(raw: string): string {
  const lower = raw.toLowerCase().replace(/\s+/g, ' ');
  if (/^[a-z' -]+$/.test(lower)) {
    const bare = lower.replace(EN_SUFFIX, '').trim();
    return byName.get(bare) ?? byName.get(bare.replace(/[\s-]/g, '')) ?? titleCase(bare);
  }
  const compact = raw.replace(/\s+/g, '');
  const stripped = compact.replace(ZH_SUFFIX, '');
  // 沙市 or 盐市 would lose too much; such names keep their suffix.
  const bare = stripped.length >= 2 ? stripped : compact;
  return byName.get(bare) ?? bare;
}

const titleCase = (s: string) => s.replace(/\b[a-z]/g, (c) => c.toUpperCase());

/** Splits 广东省深圳市 (or 广东 深圳, Guangdong Shenzhen) into a province and the rest. */
function splitRegion(text: string): { province?: string; city?: string } {
  const parts = text.split(/[\s,，/|-]+/).filter(Boolean);
  if (parts.length >= 2 && parts.every((p) => /^[A-Za-z']+$/.test(p)) && parts.length <= 4) {
    // Guangdong Province Shenzhen City: find the longest prefix that names a province.
    for (let i = parts.length - 1; i >= 1; i--) {
      const head = regionName(parts.slice(0, i).join(' '));
      if (PROVINCES.some(([zh]) => zh === head)) return { province: head, city: parts.slice(i).join(' ') };
    }
  }
  if (parts.length >= 2) return { province: parts[0]!, city: parts.slice(1).join('') };
  for (const [zh] of PROVINCES) {
    if (!text.startsWith(zh)) continue;
    const rest = text.slice(zh.length).replace(/^(?:壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市)/, '');
    // 北京市朝阳区: the city of a municipality is the municipality, not the district.
    if (CITY_PROVINCES.has(zh)) return { province: zh, city: zh };
    return rest ? { province: zh, city: rest } : { province: zh };
  }
  return { city: text };
}

export type Region = { province?: string; city?: string };

/**
 * A province and city by their short names, from separate columns or one combined `text`
 * (广东省深圳市). A known city fills in its province, and a municipality is both.
 *
 * @example cleanRegion({ province: 'Guangdong Province', city: '深圳市' }) // { province: '广东', city: '深圳' }
 * @example cleanRegion({ text: '上海市' }) // { province: '上海', city: '上海' }
 */
export function cleanRegion(input: { province?: string | undefined; city?: string | undefined; text?: string | undefined }): Cleaned<Region> {
  let province = prepare(input.province);
  let city = prepare(input.city);
  const text = prepare(input.text);
  if (text && !province && !city) ({ province, city } = splitRegion(text));
  const out: Region = {};
  if (province) out.province = regionName(province);
  if (city) out.city = regionName(city);
  if (out.city && !out.province) {
    const p = CITY_PROVINCES.has(out.city) ? out.city : provinceOfCity.get(out.city);
    if (p) out.province = p;
  }
  if (out.province && !out.city && CITY_PROVINCES.has(out.province)) out.city = out.province;
  if ((out.province?.length ?? 0) > 32 || (out.city?.length ?? 0) > 32) return impossible('region: name longer than 32 characters');
  if (!out.province && !out.city) return { ok: true, value: undefined, changed: !!(input.province || input.city || input.text) };
  const changed = out.province !== input.province || out.city !== input.city || input.text !== undefined;
  return kept(out, changed);
}
