//! Vocabulary for the sample generator: project-name templates, owner
//! companies, operators, people's names and the problem texts of the ledgers.
//!
//! All names are invented (brands are generic two-character words; the
//! telecom operators' provincial branches are named as in public lists).
//! Templates use the placeholders `{S}` (unit short name), `{U}` (unit name),
//! `{P}` (a place: county or short name), `{Q}` (the county when it
//! is one, else the unit name), `{B}` (brand), `{F}` (research
//! field), `{H}` (phase suffix), `{OPC}` / `{OPF}` (operator as written in a
//! project name / as the legal owner).

use super::rng::Rng;
use super::units::Unit;

/// New-infra categories (类别), in report order.
pub const NI_CATEGORIES: [&str; 3] = ["信息基础设施", "融合基础设施", "创新基础设施"];

/// Digital-economy tracks (赛道), in report order.
pub const DE_TRACKS: [&str; 12] = [
    "电子信息",
    "虚拟现实",
    "物联网",
    "软件和信息服务",
    "人工智能",
    "大数据及云计算",
    "工业互联网",
    "半导体照明",
    "移动智能终端",
    "数字文创",
    "北斗",
    "集成电路",
];

/// One name template: project name, owner, the code's industry part (II).
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub name: &'static str,
    pub owner: &'static str,
    pub industry: &'static str,
}

const fn t(name: &'static str, owner: &'static str, industry: &'static str) -> Template {
    Template {
        name,
        owner,
        industry,
    }
}

const CO: &str = "{CO}";
const SOE_CITY: &str = "{U}城市建设投资集团有限公司";
const SOE_DATA: &str = "{U}大数据产业发展有限公司";
const SOE_IND: &str = "{U}产业投资发展有限公司";
const GOV_DATA: &str = "{U}大数据中心";

const NI_INFO: &[Template] = &[
    t("{OPC}5G网络建设工程（{S}段）", "{OPF}", "63"),
    t("{OPC}{S}千兆光网升级工程", "{OPF}", "63"),
    t("{P}数据中心项目{H}", CO, "64"),
    t("{S}智能计算中心项目", SOE_DATA, "64"),
    t("{S}城市大脑{H}", GOV_DATA, "65"),
    t("{P}物联网感知平台建设项目", GOV_DATA, "65"),
    t("{B}工业互联网平台项目", CO, "64"),
    t("{S}IPv6规模部署改造工程", "{OPF}", "63"),
    t("{S}政务云平台扩容项目", GOV_DATA, "65"),
    t("{S}区块链公共服务平台", GOV_DATA, "65"),
    t("{P}北斗地基增强站建设项目", SOE_DATA, "65"),
    t(
        "{S}广电网络双向化改造工程",
        "江西省广播电视网络传输有限公司{U}分公司",
        "63",
    ),
    t("{P}大数据产业园数据中心{H}", SOE_DATA, "64"),
    t("{S}一体化大数据中心{H}", SOE_DATA, "64"),
    t("{B}云计算中心建设项目", CO, "64"),
    t("{P}5G+工业互联网融合应用项目", CO, "64"),
    t("{B}边缘计算节点建设项目", CO, "64"),
];

const NI_FUSION: &[Template] = &[
    t("{S}智慧交通综合管理平台{H}", "{U}交通运输局", "54"),
    t("{P}电动汽车充电基础设施建设项目", SOE_CITY, "44"),
    t("{S}5G车路协同示范工程", SOE_CITY, "54"),
    t("{S}智慧停车信息平台", SOE_CITY, "78"),
    t("{P}智慧水务建设项目", "{U}水务集团有限公司", "78"),
    t(
        "{P}智能电网改造工程",
        "国网江西省电力有限公司{S}供电分公司",
        "44",
    ),
    t("{P}数字乡村建设项目", "{Q}农业农村局", "78"),
    t("{S}第一人民医院智慧医院建设项目", "{U}第一人民医院", "84"),
    t("{P}智慧教育示范区建设项目", "{Q}教育体育局", "83"),
    t("{P}智慧园区建设项目{H}", SOE_IND, "78"),
    t("{B}智慧物流园区项目", CO, "54"),
    t("{S}智慧能源管理平台", SOE_CITY, "44"),
    t("{P}智慧农业示范基地", CO, "78"),
    t("{S}智慧城管平台升级项目", "{U}城市管理局", "78"),
    t("{P}智慧景区建设项目", SOE_IND, "78"),
];

const NI_INNOVATION: &[Template] = &[
    t("{S}{F}重点实验室建设项目", "{U}{F}产业研究院", "73"),
    t("{S}{F}产业技术研究院{H}", "{U}{F}产业研究院", "73"),
    t("{P}{F}中试基地", CO, "73"),
    t("{S}{F}技术创新中心", "{U}{F}产业研究院", "73"),
    t("{B}{F}工程研究中心", CO, "73"),
];

const DE_ELECTRONICS: &[Template] = &[
    t("{B}高端印制电路板项目", CO, "39"),
    t("{B}新型电子元器件产业化项目", CO, "39"),
    t("{P}电子信息产业园{H}", SOE_IND, "39"),
    t("{B}5G通信模组生产项目", CO, "39"),
    t("{B}电子铜箔扩产项目", CO, "39"),
    t("{P}电子信息产业园智能制造升级项目", SOE_IND, "39"),
];
const DE_VR: &[Template] = &[
    t("{S}VR产业基地{H}", SOE_IND, "65"),
    t("{B}VR/AR智能终端研发生产项目", CO, "39"),
    t("{B}虚拟现实内容制作中心", CO, "65"),
    t("{B}元宇宙数字展示平台", CO, "65"),
];
const DE_IOT: &[Template] = &[
    t("{B}智能传感器生产项目", CO, "39"),
    t("{B}NB-IoT通信模组项目", CO, "39"),
    t("{P}物联网产业园项目{H}", SOE_IND, "39"),
    t("{B}移动物联网应用示范项目", CO, "64"),
];
const DE_SOFTWARE: &[Template] = &[
    t("{S}软件产业园{H}", SOE_IND, "65"),
    t("{B}信创软件研发中心项目", CO, "65"),
    t("{B}数字政务软件研发基地", CO, "65"),
];
const DE_AI: &[Template] = &[
    t("{B}人工智能算力中心项目", CO, "64"),
    t("{B}智能机器人生产基地", CO, "39"),
    t("{S}人工智能产业园{H}", SOE_IND, "65"),
];
const DE_BIGDATA: &[Template] = &[
    t("{P}大数据中心{H}", SOE_DATA, "64"),
    t("{B}云计算数据中心项目", CO, "64"),
    t("{P}数据要素产业园项目", SOE_DATA, "64"),
];
const DE_IIOT: &[Template] = &[
    t("{B}工业互联网标识解析二级节点项目", CO, "64"),
    t("{B}数字化车间智能化改造项目", CO, "39"),
    t("{S}工业互联网平台{H}", SOE_IND, "64"),
];
const DE_LED: &[Template] = &[
    t("{B}硅衬底LED芯片扩产项目", CO, "39"),
    t("{B}Mini/Micro LED显示模组项目", CO, "39"),
    t("{P}半导体照明产业园项目", SOE_IND, "39"),
];
const DE_TERMINAL: &[Template] = &[
    t("{B}智能手机整机生产项目", CO, "39"),
    t("{B}智能穿戴设备生产项目", CO, "39"),
    t("{P}智能终端产业园{H}", SOE_IND, "39"),
];
const DE_CULTURE: &[Template] = &[
    t("{S}数字文创产业园{H}", SOE_IND, "87"),
    t("{B}动漫游戏研发基地项目", CO, "65"),
    t("{B}数字出版平台建设项目", CO, "65"),
];
const DE_BEIDOU: &[Template] = &[
    t("{B}北斗高精度定位终端项目", CO, "39"),
    t("{S}北斗时空信息服务平台", GOV_DATA, "65"),
];
const DE_IC: &[Template] = &[
    t("{B}集成电路封装测试项目", CO, "39"),
    t("{B}功率半导体芯片项目", CO, "39"),
    t("{B}晶圆级封装项目{H}", CO, "39"),
];

/// Templates of a new-infra category (index into [`NI_CATEGORIES`]).
pub fn ni_templates(category: usize) -> &'static [Template] {
    match category {
        0 => NI_INFO,
        1 => NI_FUSION,
        _ => NI_INNOVATION,
    }
}

/// Templates of a digital-economy track (index into [`DE_TRACKS`]).
pub fn de_templates(track: usize) -> &'static [Template] {
    match track {
        0 => DE_ELECTRONICS,
        1 => DE_VR,
        2 => DE_IOT,
        3 => DE_SOFTWARE,
        4 => DE_AI,
        5 => DE_BIGDATA,
        6 => DE_IIOT,
        7 => DE_LED,
        8 => DE_TERMINAL,
        9 => DE_CULTURE,
        10 => DE_BEIDOU,
        _ => DE_IC,
    }
}

/// Telecom operators: (as written in project names, provincial legal owner,
/// city branch as legal owner with `{S}` for the city's short name).
pub const OPERATORS: [(&str, &str, &str); 5] = [
    (
        "中国电信江西分公司",
        "中国电信股份有限公司江西分公司",
        "中国电信股份有限公司{S}分公司",
    ),
    (
        "中国移动江西公司",
        "中国移动通信集团江西有限公司",
        "中国移动通信集团江西有限公司{S}分公司",
    ),
    (
        "中国联通江西省分公司",
        "中国联合网络通信有限公司江西省分公司",
        "中国联合网络通信有限公司{S}市分公司",
    ),
    (
        "中国铁塔江西省分公司",
        "中国铁塔股份有限公司江西省分公司",
        "中国铁塔股份有限公司{S}市分公司",
    ),
    (
        "中国广电江西公司",
        "中国广电江西网络有限公司",
        "中国广电江西网络有限公司{S}分公司",
    ),
];

/// Province-wide telecom works owned by 省通信管理局 (operator index, name).
pub const TELECOM_WORKS: [&str; 5] = [
    "5G网络规模化建设工程（全省）",
    "千兆光网建设工程",
    "5G网络深度覆盖工程",
    "骨干传输网扩容工程",
    "农村宽带网络提升工程",
];

const BRANDS: [&str; 32] = [
    "赣芯", "瑞博", "鼎信", "新睿", "合智", "星辰", "云帆", "宏图", "嘉禾", "华域", "卓锐", "汇智",
    "朗星", "辰光", "明锐", "峰创", "锦程", "恒昇", "睿达", "科迅", "天衡", "弘毅", "柏瑞", "润泽",
    "领航", "凯迪", "致远", "越川", "银河", "智联", "昌宏", "赣晟",
];
const BUSINESS: [&str; 9] = [
    "科技",
    "电子科技",
    "信息技术",
    "数据科技",
    "智能科技",
    "光电科技",
    "通信技术",
    "网络科技",
    "智能装备",
];
const COMPANY_SUFFIX: [&str; 3] = ["有限公司", "股份有限公司", "有限责任公司"];
const FIELDS: [&str; 10] = [
    "新材料",
    "稀土功能材料",
    "航空制造",
    "中医药",
    "光电显示",
    "锂电新能源",
    "硅基LED",
    "智能装备",
    "生物医药",
    "铜基新材料",
];
const PHASES: [(&str, u64); 5] = [
    ("", 600),
    ("（一期）", 200),
    ("二期", 80),
    ("（二期）", 80),
    ("一期", 40),
];

/// Picks a template and fills it for a project of `unit` in `county`.
pub fn fill(rng: &mut Rng, templates: &[Template], unit: &Unit, county: &str) -> FilledName {
    let tpl = rng
        .pick(templates)
        .copied()
        .unwrap_or(t("{S}项目", CO, "65"));
    let brand = *rng.pick(&BRANDS).unwrap_or(&"赣芯");
    let business = *rng.pick(&BUSINESS).unwrap_or(&"科技");
    let suffix = COMPANY_SUFFIX[rng.weighted(&[7, 2, 1])];
    let field = *rng.pick(&FIELDS).unwrap_or(&"新材料");
    let phase = PHASES[rng.weighted(&PHASES.map(|p| p.1))].0;
    let (opc, op_prov, op_city) = OPERATORS[rng.below(3) as usize];
    let place = if rng.chance(600) && !county.is_empty() && county != "全省" {
        county.to_string()
    } else {
        unit.short.clone()
    };
    let company = if rng.chance(500) {
        format!("江西{brand}{business}{suffix}")
    } else {
        format!("{}{brand}{business}{suffix}", unit.short)
    };
    let owner_op = if unit.is_city() {
        op_city.replace("{S}", &unit.short)
    } else {
        op_prov.to_string()
    };
    let local = if county.ends_with(['县', '区', '市']) {
        county.to_string()
    } else {
        unit.name.clone()
    };
    let subst = |text: &str| -> String {
        text.replace("{OPC}", opc)
            .replace("{OPF}", &owner_op)
            .replace("{CO}", &company)
            .replace("{S}", &unit.short)
            .replace("{U}", &unit.name)
            .replace("{P}", &place)
            .replace("{Q}", &local)
            .replace("{B}", brand)
            .replace("{F}", field)
            .replace("{H}", phase)
    };
    FilledName {
        name: subst(tpl.name),
        owner: subst(tpl.owner),
        industry: tpl.industry,
    }
}

/// A filled template.
#[derive(Debug, Clone)]
pub struct FilledName {
    pub name: String,
    pub owner: String,
    pub industry: &'static str,
}

/// Problems (存在问题) of lagging or late projects.
pub const PROBLEMS: [&str; 12] = [
    "用地报批进度慢",
    "资金到位不足",
    "设备采购周期长",
    "环评审批尚未完成",
    "征地拆迁进度滞后",
    "电力配套未到位",
    "芯片等关键设备供货紧张",
    "项目融资困难",
    "施工许可办理中",
    "管线迁改协调难度大",
    "站址选址协调难",
    "专项债券资金未到位",
];

/// Coordination requests (需协调事项).
pub const COORDINATION: [&str; 8] = [
    "需协调自然资源部门加快用地报批",
    "请求省级协调专项债券资金",
    "需协调电力部门加快配套线路建设",
    "协调铁塔公司加快站址资源共享",
    "需协调银行加大信贷支持",
    "需协调生态环境部门加快环评审批",
    "需协调住建部门加快施工许可办理",
    "需协调属地政府推进征迁工作",
];

/// Surnames and given names for invented contact persons.
const SURNAMES: [&str; 20] = [
    "张", "王", "李", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "罗", "万",
];
const GIVEN: [&str; 24] = [
    "伟", "芳", "敏", "静", "军", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞", "平", "刚",
    "建华", "志强", "晓东", "丽萍", "海燕", "文斌", "国庆", "小红",
];

/// An invented person's name.
pub fn person(rng: &mut Rng) -> String {
    let surname = *rng.pick(&SURNAMES).unwrap_or(&"张");
    let given = *rng.pick(&GIVEN).unwrap_or(&"伟");
    format!("{surname}{given}")
}

/// An invented landline `0791-8xxxxxxx` in the unit's area.
pub fn landline(rng: &mut Rng, area: &str) -> String {
    format!("{area}-8{:07}", rng.below(10_000_000))
}

/// Chinese numeral for 1..=99 (一, 二, …, 十一, …).
pub fn cn_numeral(n: usize) -> String {
    const DIGITS: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0 => "零".to_string(),
        1..=9 => DIGITS[n].to_string(),
        10 => "十".to_string(),
        11..=19 => format!("十{}", DIGITS[n - 10]),
        _ => format!("{}十{}", DIGITS[(n / 10) % 10], DIGITS[n % 10]),
    }
}
