import { TagRuleSchema, type Condition, type TagClass, type TagRule } from './tag-rules.ts';

/*
 * The default tag catalogue a new hub starts with (issue 12; requirements.md §3): the tags a
 * retailer of coffee, snacks, beauty, sports and home goods with stores, its own shop and
 * marketplace shops uses to pick audiences and brief its guides. Operators change, retire and
 * add rules at the hub (they are data); these are the first versions.
 *
 * Thresholds in the fields' units: money in cents (¥5,000 = 500_000), shares in basis points
 * (20% = 2_000), category and brand scores × 1,000 per RMB of time-decayed spend (¥200 = 200_000),
 * SKU scores × 1,000 per unit, purchase frequency orders per year × 100.
 */

const rule = (code: string, cls: TagClass, zh: string, en: string, condition: Condition, extra: { about?: string; valid?: { from?: string; to?: string } } = {}) => ({ code, class: cls, names: { 'zh-CN': zh, en }, condition, ...extra });

const int = (field: string, op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge', value: number): Condition => ({ field, op, value });
const between = (field: string, min: number, max: number): Condition => ({ field, op: 'between', min, max });
const isIn = (field: string, ...values: string[]): Condition => ({ field, op: 'in', values });
const has = (field: string, op: 'containsAny' | 'containsAll' | 'containsNone', ...values: string[]): Condition => ({ field, op, values });
const score = (field: string, key: string, op: 'ge' | 'gt', value: number): Condition => ({ field, key, op, value });
const all = (...c: Condition[]): Condition => ({ all: c });

const NATURAL = [
  rule('age_under_18', 'natural', '未成年会员', 'Under 18', int('age', 'lt', 18)),
  rule('age_18_24', 'natural', '18–24岁', 'Aged 18–24', between('age', 18, 24)),
  rule('age_25_29', 'natural', '25–29岁', 'Aged 25–29', between('age', 25, 29)),
  rule('age_30_34', 'natural', '30–34岁', 'Aged 30–34', between('age', 30, 34)),
  rule('age_35_39', 'natural', '35–39岁', 'Aged 35–39', between('age', 35, 39)),
  rule('age_40_44', 'natural', '40–44岁', 'Aged 40–44', between('age', 40, 44)),
  rule('age_45_49', 'natural', '45–49岁', 'Aged 45–49', between('age', 45, 49)),
  rule('age_50_59', 'natural', '50–59岁', 'Aged 50–59', between('age', 50, 59)),
  rule('age_60_plus', 'natural', '60岁及以上', 'Aged 60 and over', int('age', 'ge', 60)),
  rule('gender_female', 'natural', '女性', 'Female', isIn('gender', 'F')),
  rule('gender_male', 'natural', '男性', 'Male', isIn('gender', 'M')),
  rule('gender_unknown', 'natural', '性别未知', 'Gender unknown', isIn('gender', 'U')),
  rule('birthday_this_month', 'natural', '本月生日', 'Birthday this month', { field: 'birthMonth', op: 'eq', value: { month: 0 } }, { about: 'for birthday greetings and gifts' }),
  rule('birthday_next_month', 'natural', '下月生日', 'Birthday next month', { field: 'birthMonth', op: 'eq', value: { month: 1 } }, { about: 'to prepare birthday offers a month ahead' }),
  rule('official_account_fan', 'natural', '公众号粉丝', 'Follows the official account', int('followsOfficialAccount', 'eq', 1)),
  rule('fan_not_member', 'natural', '粉丝未入会', 'Fan, not yet a member', all(int('followsOfficialAccount', 'eq', 1), int('isMember', 'eq', 0)), { about: 'follows the official account but never registered: invite to join' }),
  rule('member_1_year', 'natural', '入会满一年', 'Member for a year or more', int('daysSinceRegistered', 'ge', 365)),
  rule('member_3_years', 'natural', '三年以上老会员', 'Member for three years or more', int('daysSinceRegistered', 'ge', 1095)),
  rule('reachable_sms', 'natural', '可短信触达', 'Reachable by SMS', has('consents', 'containsAny', 'sms')),
  rule('reachable_wechat', 'natural', '可微信触达', 'Reachable on WeChat', has('consents', 'containsAny', 'wechat')),
  rule('reachable_email', 'natural', '可邮件触达', 'Reachable by email', has('consents', 'containsAny', 'email')),
  rule('no_contact_consent', 'natural', '无营销授权', 'No consent to be contacted', has('consents', 'containsNone', 'sms', 'wechat', 'email', 'phone'), { about: 'keep out of every outbound campaign' }),
  rule('baby_family', 'natural', '母婴家庭', 'Family with a baby', score('categoryScore', 'baby', 'ge', 100_000), { about: 'inferred from mother-and-baby purchases' }),
  rule('pet_owner', 'natural', '养宠家庭', 'Pet owner', score('categoryScore', 'pets', 'ge', 50_000), { about: 'inferred from pet supplies purchases' }),
];

const lover = (key: string, zh: string, en: string) => rule(`lover_${key}`, 'preference', zh, en, score('categoryScore', key, 'ge', 200_000));
const topCategory = (key: string, zh: string, en: string) => rule(`top_category_${key}`, 'preference', `首选品类：${zh}`, `Top category: ${en}`, { field: 'categoryScore', op: 'topIncludes', n: 1, key });

const PREFERENCE = [
  lover('coffee', '咖啡爱好者', 'Coffee lover'),
  lover('tea', '茶饮爱好者', 'Tea lover'),
  lover('snacks', '零食控', 'Snack lover'),
  lover('beauty', '美妆达人', 'Beauty lover'),
  lover('skincare', '护肤达人', 'Skincare lover'),
  lover('sports', '运动达人', 'Sports lover'),
  lover('shoes', '鞋履爱好者', 'Shoe lover'),
  lover('apparel', '服饰爱好者', 'Apparel lover'),
  lover('home', '家居生活家', 'Home goods lover'),
  lover('fresh', '生鲜常购客', 'Fresh food regular'),
  lover('wine', '酒水爱好者', 'Wine and spirits lover'),
  lover('bakery', '烘焙爱好者', 'Bakery lover'),
  lover('digital', '数码爱好者', 'Gadget lover'),
  topCategory('coffee', '咖啡', 'coffee'),
  topCategory('beauty', '美妆', 'beauty'),
  topCategory('sports', '运动', 'sports'),
  topCategory('snacks', '零食', 'snacks'),
  topCategory('home', '家居', 'home goods'),
  rule('coffee_beans_buyer', 'preference', '咖啡豆回购客', 'Buys coffee beans', score('categoryScore', 'coffee/beans', 'ge', 50_000)),
  rule('coffee_gear_buyer', 'preference', '咖啡器具买家', 'Buys coffee equipment', score('categoryScore', 'coffee/equipment', 'ge', 50_000), { about: 'bought a grinder, a machine or cups: offer beans' }),
  rule('coffee_and_snacks', 'preference', '咖啡配零食', 'Coffee with snacks', all(score('categoryScore', 'coffee', 'ge', 50_000), score('categoryScore', 'snacks', 'ge', 50_000))),
  rule('own_label_fan', 'preference', '自有品牌偏好', 'Prefers the own label', score('brandScore', 'own-label', 'ge', 100_000)),
  rule('core_sku_house_beans', 'preference', '核心单品：招牌咖啡豆', 'Core SKU: house blend beans', score('skuScore', 'BEAN-HOUSE-1KG', 'ge', 2_000), { about: 'two or more bags recently' }),
  rule('core_sku_cup', 'preference', '核心单品：随行杯', 'Core SKU: travel cup', score('skuScore', 'CUP-001', 'ge', 1_000)),
  rule('core_sku_milk', 'preference', '常购鲜奶', 'Buys fresh milk regularly', score('skuScore', 'MILK-1L', 'ge', 4_000)),
];

const BEHAVIOUR = [
  // Price orientation.
  rule('price_sensitive', 'behaviour', '价格敏感', 'Price-sensitive', int('avgDiscountRate', 'ge', 2_000), { about: 'an average discount of 20% or more' }),
  rule('coupon_hunter', 'behaviour', '领券达人', 'Coupon hunter', all(int('couponsRedeemed', 'ge', 3), int('couponRedemptionRate', 'ge', 6_000))),
  rule('coupon_ignorer', 'behaviour', '对券不敏感', 'Ignores coupons', all(int('couponsIssued', 'ge', 3), int('couponsRedeemed', 'eq', 0))),
  rule('full_price_buyer', 'behaviour', '正价客', 'Full-price buyer', all(int('fullPriceShare', 'ge', 8_000), int('orders', 'ge', 3))),
  rule('promotion_sensitive', 'behaviour', '促销敏感', 'Promotion-sensitive', int('promoShare', 'ge', 5_000)),
  // Channels.
  rule('omnichannel', 'behaviour', '全渠道客', 'Omnichannel', all(has('channels', 'containsAny', 'store'), has('channels', 'containsAny', 'ecommerce', 'marketplace'))),
  rule('store_only', 'behaviour', '仅门店购买', 'Store only', all(has('channels', 'containsAny', 'store'), has('channels', 'containsNone', 'ecommerce', 'marketplace'))),
  rule('online_only', 'behaviour', '仅线上购买', 'Online only', all(has('channels', 'containsAny', 'ecommerce', 'marketplace'), has('channels', 'containsNone', 'store'))),
  rule('marketplace_shopper', 'behaviour', '平台电商客', 'Marketplace shopper', has('channels', 'containsAny', 'marketplace')),
  rule('own_shop_shopper', 'behaviour', '官方商城客', 'Buys in our own online shop', has('channels', 'containsAny', 'ecommerce')),
  rule('mostly_in_store', 'behaviour', '以门店为主', 'Mostly in store', score('channelShare', 'store', 'ge', 8_000)),
  rule('tmall_shopper', 'behaviour', '天猫买家', 'Buys on Tmall', score('channelShare', 'tmall', 'gt', 0)),
  rule('jd_shopper', 'behaviour', '京东买家', 'Buys on JD', score('channelShare', 'jd', 'gt', 0)),
  // Visits and baskets.
  rule('multi_store', 'behaviour', '多店消费', 'Shops at several stores', int('storesVisited', 'ge', 3)),
  rule('frequent_visitor', 'behaviour', '高频到店', 'Frequent store visitor', all(int('orders90', 'ge', 6), has('channels', 'containsAny', 'store'))),
  rule('weekly_buyer', 'behaviour', '每周购买', 'Buys weekly', int('purchaseFrequency', 'ge', 5_200)),
  rule('monthly_buyer', 'behaviour', '每月购买', 'Buys monthly', between('purchaseFrequency', 1_200, 5_199)),
  rule('occasional_buyer', 'behaviour', '偶尔购买', 'Buys now and then', between('purchaseFrequency', 1, 399)),
  rule('big_basket', 'behaviour', '大购物篮', 'Big baskets', int('itemsPerOrder', 'ge', 500), { about: 'five or more items per order' }),
  rule('single_item_buyer', 'behaviour', '单件购买', 'Buys one item at a time', all(int('itemsPerOrder', 'le', 120), int('orders', 'ge', 3))),
  rule('high_attach_rate', 'behaviour', '连带率高', 'Buys several products per order', int('attachRate', 'ge', 5_000)),
  rule('high_refund_rate', 'behaviour', '高退货率', 'High refund rate', all(int('refundRate', 'ge', 2_000), int('refunds', 'ge', 2))),
  rule('engaged', 'behaviour', '互动活跃', 'Engaged (check-ins, surveys, events)', int('interactions90', 'ge', 3)),
  rule('points_unused', 'behaviour', '积分未使用', 'Never spends points', all(int('pointsEarned', 'ge', 1_000), int('pointsSpent', 'eq', 0))),
  rule('points_expirer', 'behaviour', '积分常过期', 'Lets points expire', int('pointsExpired', 'ge', 500)),
  // Lifecycle.
  rule('new_member', 'behaviour', '新会员（30天内）', 'New member (30 days)', int('daysSinceRegistered', 'le', 30)),
  rule('stage_fan', 'behaviour', '粉丝', 'Fan', isIn('stage', 'fan')),
  rule('stage_member_no_purchase', 'behaviour', '入会未购买', 'Member, no purchase yet', isIn('stage', 'member')),
  rule('stage_first_purchase', 'behaviour', '首购客', 'First purchase', isIn('stage', 'first_purchase')),
  rule('stage_active', 'behaviour', '活跃客', 'Active', isIn('stage', 'active')),
  rule('stage_dormant', 'behaviour', '沉睡客', 'Dormant', isIn('stage', 'dormant')),
  rule('stage_at_risk', 'behaviour', '流失风险', 'At risk of churning', isIn('stage', 'at_risk')),
  rule('stage_churned', 'behaviour', '已流失', 'Churned', isIn('stage', 'churned')),
  rule('stage_reactivated', 'behaviour', '回流客', 'Reactivated', isIn('stage', 'reactivated')),
  rule('bought_last_7_days', 'behaviour', '近7天购买', 'Bought in the last 7 days', int('daysSinceLastPurchase', 'le', 7)),
  rule('lapsing_90_days', 'behaviour', '90天未购', 'No purchase for 90–179 days', between('daysSinceLastPurchase', 90, 179), { about: 'before dormancy: time to win them back' }),
  rule('new_buyer_30_days', 'behaviour', '30天内首购', 'First order in the last 30 days', all(int('orders', 'eq', 1), int('daysSinceLastPurchase', 'le', 30))),
  rule('repeat_buyer', 'behaviour', '复购客', 'Repeat buyer', int('orders', 'ge', 2)),
  rule('one_time_buyer', 'behaviour', '仅购一次', 'Bought once', int('orders', 'eq', 1)),
  // Seasonal: a validity window.
  rule('singles_day_prospect', 'behaviour', '双11潜客', "Singles' Day prospect", all(int('promoShare', 'ge', 3_000), has('channels', 'containsAny', 'marketplace', 'ecommerce')), { valid: { from: '2026-10-15', to: '2026-11-15' } }),
  rule('spring_festival_gifter', 'behaviour', '年货礼盒客', 'Spring Festival gift buyer', all(score('categoryScore', 'gifts', 'ge', 100_000), int('spend90', 'ge', 50_000)), { valid: { from: '2027-01-10', to: '2027-02-20' } }),
];

const rfm = (segment: string, zh: string, en: string) => rule(`rfm_${segment}`, 'value', zh, en, isIn('rfmSegment', segment));

const VALUE = [
  rule('high_spender', 'value', '高消费', 'High spender', int('spend365', 'ge', 500_000), { about: '¥5,000 or more in the last 365 days' }),
  rule('mid_spender', 'value', '中等消费', 'Mid spender', between('spend365', 100_000, 499_999)),
  rule('low_spender', 'value', '低消费', 'Low spender', between('spend365', 1, 99_999)),
  rule('lifetime_vip', 'value', '累计消费两万以上', 'Lifetime spend over ¥20,000', int('spend', 'ge', 2_000_000)),
  rule('spent_1000_in_30_days', 'value', '近30天消费千元以上', 'Spent ¥1,000+ in 30 days', int('spend30', 'ge', 100_000)),
  rule('high_order_value', 'value', '高客单价', 'High average order', int('avgOrderValue', 'ge', 50_000)),
  rule('low_order_value', 'value', '低客单价', 'Low average order', int('avgOrderValue', 'lt', 5_000)),
  rule('points_rich', 'value', '高积分余额', 'Points-rich', int('pointsBalance', 'ge', 10_000)),
  rule('tier_gold_or_above', 'value', '金卡及以上', 'Gold tier or above', isIn('tier', 'L3', 'L4')),
  rfm('champions', '重要价值客户', 'RFM: champions'),
  rfm('loyal', '忠诚客户', 'RFM: loyal'),
  rfm('potential', '潜力客户', 'RFM: potential'),
  rfm('new', 'RFM新客户', 'RFM: new'),
  rfm('at_risk', '流失预警客户', 'RFM: at risk'),
  rfm('cant_lose', '重要挽留客户', "RFM: can't lose"),
  rfm('hibernating', '休眠客户', 'RFM: hibernating'),
  rfm('lost', '流失客户', 'RFM: lost'),
  rule('rfm_recent', 'value', '最近购买（R=5）', 'Most recent buyers (R = 5)', int('rfmR', 'eq', 5)),
  rule('rfm_frequent', 'value', '高频（F≥4）', 'Frequent (F ≥ 4)', int('rfmF', 'ge', 4)),
  rule('rfm_big_spender', 'value', '高消费力（M≥4）', 'High monetary (M ≥ 4)', int('rfmM', 'ge', 4)),
  rule('rfm_valuable_lapsing', 'value', '高价值待唤醒', 'High value, lapsing', all(int('rfmM', 'ge', 4), int('rfmR', 'le', 2)), { about: 'spent much, not lately: call before they are lost' }),
  rule('rfm_555', 'value', 'RFM满分客户', 'RFM 5-5-5', all(int('rfmR', 'eq', 5), int('rfmF', 'eq', 5), int('rfmM', 'eq', 5))),
];

/** The default catalogue, each rule checked by the same schema as an operator's. */
export const DEFAULT_TAG_RULES: readonly TagRule[] = [...NATURAL, ...PREFERENCE, ...BEHAVIOUR, ...VALUE].map((r) => TagRuleSchema.parse(r));
