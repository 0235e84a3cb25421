import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { rng } from '../../shared/seed-members.ts';

/*
 * Seeded synthetic exports of six channels in the shipped mappings' formats (crm, ecom, wechat,
 * tmall, jd CSV/NDJSON and tmall-orders NDJSON), with the ground truth of which person each record
 * belongs to. People are generated one at a time and their rows streamed to the files, so a
 * million records take seconds and little memory.
 *
 * About 30% of people are in two or more channels. The dirt is the kind real exports have:
 * phones in every format, names with stray spaces and typos, missing fields, gender codes and
 * dates in each channel's own style, impossible phones (rejected on import), impossible or future
 * birthdays (dropped), exact duplicate rows, and junk keys: a store's phone typed for hundreds of
 * walk-in customers, family cards shared by 3-30 unrelated people, and phones one digit off (not a
 * link: a suggestion candidate). The truth file names these per record.
 *
 * truth.tsv: `<record id>\t<person id>\t<dirt, comma-separated>` — the record id as the mapping
 * computes it (`<source>:<id>`), one line per distinct record.
 */

export const CHANNELS = ['crm', 'ecom', 'wechat', 'tmall', 'jd', 'tmall-orders'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface ChannelDataOptions {
  dir: string;
  /** Total rows over all files (duplicate rows included). */
  records: number;
  seed?: number;
}

export interface ChannelData {
  files: Record<Channel, string>;
  rows: Record<Channel, number>;
  truthFile: string;
  people: number;
  /** People with records in two or more member channels. */
  multiChannelPeople: number;
  /** Counts of the deliberate dirt, by kind. */
  dirt: Record<string, number>;
}

/** The store phone cashiers type for customers who will not give theirs. */
export const STORE_PHONE = '13800000000';


const SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈'];
const GIVEN = [...'伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红鹏辉建国文斌宇浩凯欣怡婷雪琳晨阳佳'];
const NICKS = ['小鱼儿', 'Sunny', '快乐每一天', '阿杰', 'Lily', '木子', '晴天', 'A.小王', '追风', '🌸花花'];
/** Province and city, each as [Chinese with suffix, short, pinyin]. */
const REGIONS: [string[], string[]][] = [
  [['广东省', '广东', 'Guangdong'], ['深圳市', '深圳', 'Shenzhen']],
  [['广东省', '广东', 'Guangdong'], ['广州市', '广州', 'Guangzhou']],
  [['浙江省', '浙江', 'Zhejiang'], ['杭州市', '杭州', 'Hangzhou']],
  [['江苏省', '江苏', 'Jiangsu'], ['南京市', '南京', 'Nanjing']],
  [['江苏省', '江苏', 'Jiangsu'], ['苏州市', '苏州', 'Suzhou']],
  [['上海市', '上海', 'Shanghai'], ['上海市', '上海', 'Shanghai']],
  [['北京市', '北京', 'Beijing'], ['北京市', '北京', 'Beijing']],
  [['四川省', '四川', 'Sichuan'], ['成都市', '成都', 'Chengdu']],
  [['湖北省', '湖北', 'Hubei'], ['武汉市', '武汉', 'Wuhan']],
  [['广西壮族自治区', '广西', 'Guangxi'], ['南宁市', '南宁', 'Nanning']],
];
const STORES = Array.from({ length: 40 }, (_, i) => `S${String(i + 1).padStart(3, '0')}`);
const APPS = ['wx5f1a2b3c4d5e6f70', 'wx9e8d7c6b5a4f3e21'];
const SKUS = Array.from({ length: 200 }, (_, i) => [`SKU${String(i).padStart(4, '0')}`, ['shoes', 'apparel', 'beauty', 'snacks', 'home'][i % 5]!, 990 + ((i * 3779) % 49000)] as const);

const DAY = 86_400_000;
const BASE = Date.UTC(2026, 0, 1);

/** A buffered file writer that honours the stream's backpressure. */
function sink(file: string) {
  const out: WriteStream = createWriteStream(file);
  let buf: string[] = [];
  let size = 0;
  return {
    async write(line: string) {
      buf.push(line);
      size += line.length;
      if (size > 1 << 20) await this.drain();
    },
    async drain() {
      const ok = out.write(buf.join(''));
      buf = [];
      size = 0;
      if (!ok) await new Promise<void>((r) => out.once('drain', r));
    },
    async close() {
      await this.drain();
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    },
  };
}

const csvCell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const csvRow = (cells: string[]) => cells.map(csvCell).join(',') + '\n';
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

const HEADERS: Record<'crm' | 'ecom' | 'tmall' | 'jd', string[]> = {
  crm: ['会员编号', '会员卡号', '手机号', '姓名', '性别', '生日', '省份', '城市', '注册时间', '注册门店', '更新时间'],
  ecom: ['user_id', 'mobile', 'real_name', 'sex', 'birth_date', 'email', 'province', 'city', 'created_at', 'updated_at'],
  tmall: ['买家昵称', '手机号码', '姓名', '性别', '生日', '所在地区', '入会时间'],
  jd: ['pin', 'phone', 'name', 'gender', 'birthday', 'register_time'],
};

interface Person {
  id: string;
  phone: string;
  name: string;
  gender: 'M' | 'F';
  birth: number;
  region: [string[], string[]];
  unionId: string;
  nick: string;
  pin: string;
  email: string;
}

/** Writes the channel files and truth.tsv into `dir`. */
export async function writeChannelData(opts: ChannelDataOptions): Promise<ChannelData> {
  const rnd = rng(opts.seed ?? 20260101);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number) => rnd() < p;
  const b36 = (len: number) => {
    let s = '';
    while (s.length < len) s += int(36 ** 5).toString(36).padStart(5, '0');
    return s.slice(0, len);
  };

  await mkdir(opts.dir, { recursive: true });
  const files = Object.fromEntries(CHANNELS.map((c) => [c, join(opts.dir, `${c}.${c === 'wechat' || c === 'tmall-orders' ? 'ndjson' : 'csv'}`)])) as Record<Channel, string>;
  const out = Object.fromEntries(CHANNELS.map((c) => [c, sink(files[c])])) as Record<Channel, ReturnType<typeof sink>>;
  const truthFile = join(opts.dir, 'truth.tsv');
  const truth = sink(truthFile);
  for (const c of ['crm', 'ecom', 'tmall', 'jd'] as const) await out[c].write((c === 'crm' || c === 'tmall' ? '\ufeff' : '') + csvRow(HEADERS[c]));

  const rows = Object.fromEntries(CHANNELS.map((c) => [c, 0])) as Record<Channel, number>;
  const dirt: Record<string, number> = {};
  let total = 0;
  let people = 0;
  let multi = 0;
  let seq = 0;
  let familyCard = { card: '', left: 0 };

  // Phones are a bijection of the person number, so two people never share one by accident.
  const phoneOf = (n: number) => `1${3 + (n % 7)}${String((n * 7_919_317 + 12_345_679) % 1_000_000_000).padStart(9, '0')}`;

  const phoneText = (e: string): string => {
    switch (int(8)) {
      case 0: return `+86 ${e.slice(0, 3)} ${e.slice(3, 7)} ${e.slice(7)}`;
      case 1: return `0086-${e.slice(0, 3)}-${e.slice(3, 7)}-${e.slice(7)}`;
      case 2: return `${e.slice(0, 3)}-${e.slice(3, 7)}-${e.slice(7)}`;
      case 3: return `86${e}`;
      case 4: return [...e].map((d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0)).join('');
      case 5: return ` ${e} `;
      default: return e;
    }
  };
  /** The phone as this record has it: usually right, sometimes one digit off or impossible. */
  const phoneField = (p: Person, marks: string[], allowJunk = true): string => {
    let e = p.phone;
    if (allowJunk && chance(0.005)) {
      const i = 3 + int(8);
      e = e.slice(0, i) + String((Number(e[i]) + 1 + int(9)) % 10) + e.slice(i + 1);
      marks.push('typo-phone');
    } else if (allowJunk && chance(0.002)) {
      e = e.slice(0, 5) + e.slice(6);
      marks.push('impossible-phone');
    }
    return phoneText(e);
  };
  const nameField = (p: Person, marks: string[]): string => {
    if (chance(0.03)) {
      marks.push('name-typo');
      return p.name.slice(0, -1) + pick(GIVEN);
    }
    if (chance(0.04)) return [...p.name].join(' ');
    if (chance(0.03)) return ` ${p.name}\u3000`;
    return p.name;
  };
  const birthParts = (p: Person, marks: string[]): [number, number, number] => {
    const d = new Date(p.birth);
    if (chance(0.002)) {
      marks.push('bad-birthday');
      return chance(0.5) ? [2090, 1, 1] : [d.getUTCFullYear(), 2, 30];
    }
    return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
  };
  const when = (daysBack: number) => BASE - int(daysBack) * DAY - int(DAY);
  const local = (ms: number, sep = '-') => {
    const d = new Date(ms + 8 * 3_600_000);
    return `${d.getUTCFullYear()}${sep}${pad(d.getUTCMonth() + 1)}${sep}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  };
  const blank = (p: number, v: string) => (chance(p) ? pick(['', '', '', '-', 'NULL']) : v);

  const emit = async (c: Channel, id: string, person: string, marks: string[], line: string, csv: boolean) => {
    if (total >= opts.records) return;
    await out[c].write(line);
    rows[c]++;
    total++;
    for (const m of marks) dirt[m] = (dirt[m] ?? 0) + 1;
    await truth.write(`${c}:${id}\t${person}\t${marks.join(',')}\n`);
    // An exact duplicate row, as exports that page badly produce.
    if (csv && total < opts.records && chance(0.002)) {
      await out[c].write(line);
      rows[c]++;
      total++;
      dirt['duplicate-row'] = (dirt['duplicate-row'] ?? 0) + 1;
    }
  };

  const writers: Record<Exclude<Channel, 'tmall-orders'>, (p: Person) => Promise<void>> = {
    async crm(p) {
      const marks: string[] = [];
      const id = `M${pad(++seq, 8)}`;
      let card = `VIP${pad(seq, 9)}`;
      if (chance(0.01)) {
        if (familyCard.left === 0) familyCard = { card: `FAM${pad(seq, 7)}`, left: 3 + int(28) };
        familyCard.left--;
        card = familyCard.card;
        marks.push('shared-card');
      }
      let phone: string;
      if (chance(0.002)) {
        phone = phoneText(STORE_PHONE);
        marks.push('store-phone');
      } else phone = blank(0.03, phoneField(p, marks));
      const [y, m, d] = birthParts(p, marks);
      const birthday = blank(0.25, [`${y}-${pad(m)}-${pad(d)}`, `${y}/${m}/${d}`, `${y}${pad(m)}${pad(d)}`, `${y}年${m}月${d}日`, String(Math.round((Date.UTC(y, m - 1, d) - Date.UTC(1899, 11, 30)) / DAY))][int(5)]!);
      const [prov, city] = p.region;
      const reg = when(3000);
      await emit('crm', id, p.id, marks, csvRow([
        id, chance(0.5) ? card.toLowerCase() : card, phone, blank(0.05, nameField(p, marks)),
        blank(0.1, pick(p.gender === 'M' ? ['男', 'M', '1', '先生'] : ['女', 'F', '2', '女士'])), birthday,
        blank(0.2, pick(prov)), blank(0.2, pick(city)), local(reg, pick(['-', '/'])), pick(STORES), local(reg + int(300) * DAY),
      ]), true);
    },
    async ecom(p) {
      const marks: string[] = [];
      const id = `U${pad(++seq, 8)}`;
      const [y, m, d] = birthParts(p, marks);
      const birth = blank(0.4, chance(0.5) ? `${pad(d)}/${pad(m)}/${y}` : `${y}-${pad(m)}-${pad(d)}`);
      const reg = when(2000);
      await emit('ecom', id, p.id, marks, csvRow([
        id, phoneField(p, marks), blank(0.3, chance(0.02) ? `${p.name.slice(1)}, ${p.name[0]}` : nameField(p, marks)),
        blank(0.3, pick(p.gender === 'M' ? ['male', 'M', 'Male'] : ['female', 'F', 'Female'])), birth, blank(0.5, p.email),
        blank(0.3, pick(p.region[0])), blank(0.3, pick(p.region[1])), new Date(reg).toISOString(), local(reg + int(200) * DAY),
      ]), true);
    },
    async wechat(p) {
      const apps = chance(0.25) ? APPS : [pick(APPS)];
      const withUnion = chance(0.85);
      for (const appid of apps) {
        const marks: string[] = [];
        const openid = `o${b36(27)}`;
        const reg = when(1500);
        const row: Record<string, unknown> = { appid, openid, nickName: pick(NICKS), gender: chance(0.3) ? 0 : p.gender === 'M' ? 1 : 2, province: p.region[0][2], city: p.region[1][2], subscribe_time: Math.floor(reg / 1000), last_login: new Date(reg + int(100) * DAY).toISOString() };
        if (withUnion) row.unionid = p.unionId;
        // WeChat hands out verified numbers, already clean.
        if (chance(0.6)) row.phoneNumber = `+86${p.phone}`;
        await emit('wechat', `${appid}:${openid}`, p.id, marks, JSON.stringify(row) + '\n', false);
      }
    },
    async tmall(p) {
      const marks: string[] = [];
      const [y, m, d] = birthParts(p, marks);
      const phone = chance(0.4) ? phoneField(p, marks) : chance(0.5) ? `${p.phone.slice(0, 3)}****${p.phone.slice(7)}` : '';
      await emit('tmall', p.nick, p.id, marks, csvRow([
        p.nick, phone, blank(0.6, nameField(p, marks)), blank(0.3, chance(0.05) ? '未知' : p.gender === 'M' ? '男' : '女'), blank(0.5, `${y}-${pad(m)}-${pad(d)}`),
        blank(0.2, `${p.region[0][0]} ${p.region[1][0]}`), local(when(2500)),
      ]), true);
    },
    async jd(p) {
      const marks: string[] = [];
      const [y, m, d] = birthParts(p, marks);
      await emit('jd', p.pin, p.id, marks, csvRow([
        p.pin, blank(0.1, phoneField(p, marks)), blank(0.4, nameField(p, marks)), blank(0.3, p.gender === 'M' ? '1' : '2'),
        blank(0.5, chance(0.5) ? `${y}-${pad(m)}-${pad(d)}` : new Date(Date.UTC(y, m - 1, d) - 8 * 3_600_000).toISOString()), local(when(2500)),
      ]), true);
    },
  };

  const orders = async (p: Person) => {
    const n = pick([0, 0, 0, 0, 0, 0, 1, 1, 2, 4]);
    for (let i = 0; i < n; i++) {
      const marks: string[] = [];
      const tid = String(4_000_000_000_000 + ++seq * 7);
      const lines = Array.from({ length: 1 + int(3) }, () => {
        const [sku, category, price] = pick(SKUS);
        return { outer_sku_id: sku, category, num: 1 + int(3), price: (price / 100).toFixed(2) };
      });
      const total = lines.reduce((s, l) => s + l.num * Math.round(Number(l.price) * 100), 0);
      const discount = chance(0.3) ? Math.min(total, 500 + int(2000)) : 0;
      const yuan = (c: number) => `${Math.floor(c / 100)}.${pad(c % 100)}`;
      const row = {
        tid, created: local(when(365)), status: pick(['TRADE_FINISHED', 'TRADE_FINISHED', 'WAIT_BUYER_CONFIRM_GOODS', 'TRADE_CLOSED']),
        total_fee: yuan(total), payment: yuan(total - discount), discount_fee: yuan(discount),
        buyer_nick: chance(0.1) ? p.nick.toUpperCase() : p.nick, receiver_mobile: chance(0.6) ? phoneField(p, marks) : '',
        receiver_state: p.region[0][0], receiver_city: p.region[1][0], orders: lines,
      };
      await emit('tmall-orders', tid, p.id, marks, JSON.stringify(row) + '\n', false);
    }
  };

  const MEMBER_CHANNELS = ['crm', 'wechat', 'ecom', 'tmall', 'jd'] as const;
  const WEIGHTS = [0.35, 0.2, 0.15, 0.15, 0.15];
  const weighted = () => {
    let r = rnd();
    for (let i = 0; i < WEIGHTS.length; i++) if ((r -= WEIGHTS[i]!) < 0) return MEMBER_CHANNELS[i]!;
    return MEMBER_CHANNELS[0];
  };

  while (total < opts.records) {
    const n = ++people;
    const gender = chance(0.55) ? 'F' : 'M';
    const p: Person = {
      id: `P${n}`,
      phone: phoneOf(n),
      name: pick(SURNAMES) + pick(GIVEN) + (chance(0.7) ? pick(GIVEN) : ''),
      gender,
      birth: Date.UTC(1950, 0, 1) + int(21_550) * DAY,
      region: pick(REGIONS),
      unionId: `oU${b36(26)}`,
      nick: `tb_${b36(10)}`,
      pin: `jd_${b36(10)}`,
      email: `u${n}@example.com`,
    };
    const channels = new Set<(typeof MEMBER_CHANNELS)[number]>([weighted()]);
    if (chance(0.3)) {
      const extra = 1 + (chance(0.3) ? 1 + int(2) : 0);
      while (channels.size < 1 + extra) channels.add(weighted());
      multi++;
    }
    for (const c of channels) await writers[c](p);
    if (channels.has('tmall')) await orders(p);
  }

  await Promise.all([...CHANNELS.map((c) => out[c].close()), truth.close()]);
  return { files, rows, truthFile, people, multiChannelPeople: multi, dirt };
}
