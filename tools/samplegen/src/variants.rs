//! The 13 layout variants (V01-V13) of the units' ledgers.
//!
//! Each variant is a [`Layout`]: see `layout.rs` for what the knobs mean.
//! Header labels are synonyms from `pipelines/*.toml` (checked by the tests);
//! `{Y}`, `{M}` and `{CAT}` are filled in per file.

use super::layout::{
    DateStyle, Extra, Footer, Grouping, HeaderUnits, Layout, Meta, RateStyle, SeqStyle, TotalLabel,
    TotalPos, H,
};
use super::rows::Col;

/// Number of layout variants.
pub const VARIANTS: usize = 13;

/// One-line description of each variant (for `samples/README.md`).
const SUMMARIES: [&str; VARIANTS] = [
    "全省模板标题；填报单位行与“单位：万元”同行；两行表头（“2023年投资完成情况”跨4列）；\
     合计（N项）在表头下；整数序号；填报人/审核人落款",
    "两行标题；无填报单位行，有责任单位列；表头带“（万元）”；单行表头；合计在底部；\
     序号显示为1.0；空白Sheet2、Sheet3",
    "“计量单位：万元”单独一行；三行表头（项目基本情况/投资情况/完成情况）；“合 计”在表头下；\
     按类别分组（一 + 信息基础设施（N项），带小计）；序号(1)；备注落款",
    "填报单位行；表头带“（万元）”（九江市新基建：总投资（亿元））；两行表头（“2023年投资”）；\
     “合计”+“N个”在表头下；按县区分组（南昌县合计14个，带小计）；落款",
    "先有“填报说明”工作表；表头内换行“总投资\\n（万元）”；地市列；单行表头；\
     底部合计为SUM公式（带缓存值）；表后3行带边框空行",
    "两行标题；表头月份留空“1-  月累计完成投资”；部分金额为文本“1,234.50”；\
     按建设性质分组（（一）续建项目（N项））；空单元格为单个空格；总计在底部；序号为文本",
    "两行标题（不含单位名）；所属设区市列；表头“总投资        (万元)”；单行表头；无合计行；\
     完成率为文本；工作表名为单位简称",
    "两行表头，父单元格“7月”“1-7月”与子单元格拼接成字段名（7月+完成投资、1-7月+累计完成投资）；\
     合计（N项）在表头下；序号显示为1.0；备注、联系人列",
    "无序号列；两行表头（项目基本情况/投资情况）；责任单位列用简称；表头“(万元)”半角括号；\
     开工日期为Excel日期；“合 计”在底部",
    "两行标题；三行表头（2023年投资计划及完成情况/完成情况）；合计（N项）后接一行带边框空行；\
     按类别分组（一、信息基础设施（N项），无小计）；备注与落款",
    "金额列在前（年度计划、本月完成、今年以来累计、总投资），单行表头；合计（N项）在底部；\
     空单元格为单个空格；无责任单位列",
    "两行标题；两行表头（总投资及年度计划/完成情况，含“2023年1-7月累计完成投资”）；\
     按县区分组（XX县合计N个，带小计）；合计在底部；计划与实际开工时间",
    "两行标题；填报单位行；表头带“（万元）”；单行表头，名称在代码前；“总计”在表头下；\
     建设单位、开工以来累计完成投资列",
];

const IDS: [&str; VARIANTS] = [
    "V01", "V02", "V03", "V04", "V05", "V06", "V07", "V08", "V09", "V10", "V11", "V12", "V13",
];

fn l(col: Col, label: &'static str) -> H {
    H::L(col, label)
}

fn g(label: &'static str, kids: Vec<H>) -> H {
    H::G(label, kids)
}

/// Defaults shared by the variants.
fn base(i: usize, header: Vec<H>) -> Layout {
    Layout {
        id: IDS[i],
        summary: SUMMARIES[i],
        titles: &["{UNIT}{PC}项目进展情况表"],
        meta: Meta::None,
        units: HeaderUnits::None,
        header,
        total: TotalPos::None,
        formulas: false,
        groups: Grouping::None,
        seq: SeqStyle::Int,
        text_numbers: false,
        lone_space: false,
        blank_after_total: false,
        blank_rows: 0,
        footers: &[],
        sheet: "Sheet1",
        extra: Extra::None,
        rate: RateStyle::Percent,
        dates: DateStyle::Dash,
        unit_short: false,
    }
}

/// Layout variant `i` (0-based, V01 = 0; taken modulo [`VARIANTS`]).
pub fn variant(i: usize) -> Layout {
    let i = i % VARIANTS;
    let f = [
        v01, v02, v03, v04, v05, v06, v07, v08, v09, v10, v11, v12, v13,
    ];
    f[i](i)
}

fn v01(i: usize) -> Layout {
    let header = vec![
        l(Col::Seq, "序号"),
        l(Col::Code, "项目代码"),
        l(Col::Name, "项目名称"),
        l(Col::Batch, "批次"),
        l(Col::County, "所在县（区）"),
        l(Col::Category, "{CAT}"),
        l(Col::Owner, "项目业主"),
        l(Col::Nature, "建设性质"),
        l(Col::Total, "总投资"),
        g(
            "{Y}年投资完成情况",
            vec![
                l(Col::Annual, "年度计划投资"),
                l(Col::Month, "{M}月完成投资"),
                l(Col::Ytd, "1-{M}月累计完成投资"),
                l(Col::Rate, "完成率"),
            ],
        ),
        l(Col::Status, "建设状态"),
        l(Col::StartDate, "实际开工时间"),
        l(Col::Progress, "形象进度"),
        l(Col::Problems, "存在问题"),
        l(Col::Coordination, "需协调事项"),
    ];
    Layout {
        titles: &["{Y}年1-{M}月全省{PC}项目推进情况调度表"],
        meta: Meta::FillUnitsSameRow("单位：万元"),
        total: TotalPos::Top(TotalLabel::Items),
        footers: &[Footer::Signers],
        sheet: "调度表",
        ..base(i, header)
    }
}

fn v02(i: usize) -> Layout {
    let header = vec![
        l(Col::Seq, "序号"),
        l(Col::Unit, "责任单位"),
        l(Col::Name, "项目名称"),
        l(Col::Code, "项目代码"),
        l(Col::Batch, "所属批次"),
        l(Col::County, "建设地点"),
        l(Col::Category, "项目类别"),
        l(Col::Years, "建设年限"),
        l(Col::Total, "总投资"),
        l(Col::Annual, "年度计划投资"),
        l(Col::Month, "本月完成投资"),
        l(Col::Ytd, "1-{M}月累计完成投资"),
        l(Col::Status, "项目进展"),
        l(Col::StartDate, "开工时间"),
        l(Col::Remark, "备注"),
    ];
    Layout {
        titles: &["{UNIT}{PC}项目进展情况表", "（{Y}年{M}月）"],
        units: HeaderUnits::Full,
        total: TotalPos::Bottom(TotalLabel::Plain),
        seq: SeqStyle::Float,
        footers: &[Footer::Remark(
            "备注：项目进展按未开工、在建、已竣工、已投产填写；金额单位为万元。",
        )],
        extra: Extra::EmptySheets(&["Sheet2", "Sheet3"]),
        dates: DateStyle::Dot,
        ..base(i, header)
    }
}

fn v03(i: usize) -> Layout {
    let header = vec![
        l(Col::Seq, "序号"),
        g(
            "项目基本情况",
            vec![
                l(Col::Name, "项目名称"),
                l(Col::Code, "项目编码"),
                l(Col::Batch, "批次"),
                l(Col::Owner, "项目业主"),
                l(Col::Years, "建设年限"),
                l(Col::Nature, "建设性质"),
            ],
        ),
        g(
            "投资情况",
            vec![
                l(Col::Total, "计划总投资"),
                l(Col::Annual, "{Y}年计划投资"),
                g(
                    "完成情况",
                    vec![
                        l(Col::Month, "当月完成"),
                        l(Col::Ytd, "1-{M}月累计完成"),
                        l(Col::SinceStart, "开工以来累计完成投资"),
                    ],
                ),
            ],
        ),
        l(Col::Status, "项目状态"),
        l(Col::Problems, "存在的困难和问题"),
        l(Col::Contact, "联系人"),
    ];
    Layout {
        titles: &["{UNIT}{Y}年1-{M}月{PC}项目推进情况表"],
        meta: Meta::FillThenUnits("计量单位：万元"),
        total: TotalPos::Top(TotalLabel::Spaced),
        groups: Grouping::Category { figures: true },
        seq: SeqStyle::Paren,
        footers: &[Footer::Remark(
            "备注：1.项目状态填写未开工、在建、已竣工、已投产；2.开工以来累计完成投资含以前年度完成额。",
        )],
        ..base(i, header)
    }
}

fn v04(i: usize) -> Layout {
    let header = vec![
        l(Col::Seq, "序号"),
        l(Col::Name, "项目名称"),
        l(Col::Code, "项目代码"),
        l(Col::Batch, "批次"),
        l(Col::County, "所在县区"),
        l(Col::Category, "{CAT}"),
        l(Col::Nature, "建设性质"),
        l(Col::Total, "总投资"),
        g(
            "{Y}年投资",
            vec![
                l(Col::Annual, "年度投资计划"),
                l(Col::Month, "本月完成投资"),
                l(Col::Ytd, "1-{M}月完成投资"),
                l(Col::Rate, "完成率"),
            ],
        ),
        l(Col::Status, "建设状态"),
        l(Col::StartDate, "开工时间"),
        l(Col::Problems, "存在问题"),
    ];
    Layout {
        titles: &["{UNIT}{PC}项目推进情况调度表（{Y}年1-{M}月）"],
        meta: Meta::Fill,
        units: HeaderUnits::Full,
        total: TotalPos::Top(TotalLabel::WithCount),
        groups: Grouping::County,
        footers: &[Footer::Signers],
        sheet: "{M}月",
        dates: DateStyle::Cn,
        ..base(i, header)
    }
}

fn v05(i: usize) -> Layout {
    let header = vec![
        l(Col::Seq, "序号"),
        l(Col::Code, "项目代码"),
        l(Col::Name, "项目名称"),
        l(Col::Unit, "地市"),
        l(Col::Batch, "批次"),
        l(Col::Category, "{CAT}"),
        l(Col::Total, "总投资"),
        l(Col::Annual, "年度计划\n投资"),
        l(Col::Month, "{M}月完成\n投资"),
        l(Col::Ytd, "1-{M}月累计\n完成投资"),
        l(Col::Status, "进展状态"),
        l(Col::StartDate, "实际开工\n时间"),
        l(Col::Problems, "存在问题"),
        l(Col::Coordination, "需协调\n事项"),
    ];
    Layout {
        titles: &["{UNIT}{PC}项目进展情况（{Y}年{M}月）"],
        units: HeaderUnits::Newline,
        total: TotalPos::Bottom(TotalLabel::Plain),
        formulas: true,
        blank_rows: 3,
        footers: &[Footer::Signers],
        sheet: "调度表",
        extra: Extra::InstructionsFirst,
        ..base(i, header)
    }
}

fn v06(i: usize) -> Layout {
    let header = vec![
        l(Col::Seq, "序号"),
        l(Col::Code, "项目编号"),
        l(Col::Name, "项目名称"),
        l(Col::Batch, "所属批次"),
        l(Col::Owner, "项目业主单位"),
        l(Col::Total, "项目总投资"),
        g(
            "投资完成情况",
            vec![
                l(Col::Annual, "年度投资计划"),
                l(Col::Month, "本月完成投资"),
                l(Col::Ytd, "1-  月累计完成投资"),
            ],
        ),
        l(Col::Status, "项目状态"),
        l(Col::Progress, "形象进度"),
        l(Col::Problems, "存在问题"),
        l(Col::Coordination, "需协调解决的问题"),
        l(Col::Remark, "备注"),
    ];
    Layout {
        titles: &["{PC}项目月度调度表", "{UNIT}  {Y}年{M}月"],
        meta: Meta::FillThenUnits("单位：万元"),
        total: TotalPos::Bottom(TotalLabel::Grand),
        groups: Grouping::Nature,
        seq: SeqStyle::Text,
        text_numbers: true,
        lone_space: true,
        footers: &[Footer::Remark("备注：本表由各地发改委汇总填报。")],
        ..base(i, header)
    }
}

fn v07(i: usize) -> Layout {
    let header = vec![
        l(Col::Seq, "序号"),
        l(Col::Unit, "所属设区市"),
        l(Col::Code, "项目代码"),
        l(Col::Name, "项目名称"),
        l(Col::Batch, "批次"),
        l(Col::Category, "所属领域"),
        l(Col::Nature, "建设性质"),
        l(Col::Years, "建设年限"),
        l(Col::PlannedStart, "计划开工时间"),
        l(Col::Total, "总投资"),
        l(Col::Annual, "年度计划投资"),
        l(Col::Month, "当月完成投资"),
        l(Col::Ytd, "年度累计完成投资"),
        l(Col::Rate, "完成率"),
        l(Col::Status, "建设状态"),
        l(Col::StartDate, "实际开工时间"),
    ];
    Layout {
        titles: &["{Y}年{PC}项目推进情况表", "（1-{M}月）"],
        units: HeaderUnits::Padded,
        footers: &[Footer::Signers],
        sheet: "{SHORT}",
        rate: RateStyle::Text,
        ..base(i, header)
    }
}

fn v08(i: usize) -> Layout {
    let header = vec![
        l(Col::Seq, "序号"),
        l(Col::Code, "项目代码"),
        l(Col::Name, "项目名称"),
        l(Col::Batch, "批次"),
        l(Col::Category, "{CAT}"),
        l(Col::County, "所在县区"),
        l(Col::Total, "总投资"),
        l(Col::Annual, "年度计划投资"),
        g(
            "{M}月",
            vec![l(Col::Month, "完成投资"), l(Col::Progress, "形象进度")],
        ),
        g(
            "1-{M}月",
            vec![l(Col::Ytd, "累计完成投资"), l(Col::Rate, "完成率")],
        ),
        l(Col::Status, "建设状态"),
        l(Col::Remark, "备注"),
        l(Col::Contact, "联系人"),
    ];
    Layout {
        titles: &["{UNIT}{Y}年{PC}项目进展情况调度表"],
        meta: Meta::FillUnitsSameRow("单位：万元"),
        total: TotalPos::Top(TotalLabel::Items),
        seq: SeqStyle::Float,
        footers: &[Footer::Remark("备注：完成率=累计完成投资/年度计划投资。")],
        ..base(i, header)
    }
}

fn v09(i: usize) -> Layout {
    let header = vec![
        g(
            "项目基本情况",
            vec![
                l(Col::Unit, "责任单位"),
                l(Col::Code, "项目编码"),
                l(Col::Name, "项目名称"),
                l(Col::Batch, "项目批次"),
                l(Col::County, "项目属地"),
                l(Col::Category, "{CAT}"),
                l(Col::Owner, "业主单位"),
            ],
        ),
        g(
            "投资情况",
            vec![
                l(Col::Total, "计划总投资"),
                l(Col::Annual, "本年度投资计划"),
                l(Col::Month, "当月完成投资"),
                l(Col::Ytd, "本年累计完成投资"),
                l(Col::SinceStart, "开工累计完成投资"),
            ],
        ),
        l(Col::Status, "项目进展"),
        l(Col::StartDate, "实际开工日期"),
        l(Col::Coordination, "需协调事项"),
    ];
    Layout {
        titles: &["{UNIT}{PC}项目调度台账（{Y}年{M}月）"],
        meta: Meta::Fill,
        units: HeaderUnits::Half,
        total: TotalPos::Bottom(TotalLabel::Spaced),
        footers: &[Footer::Signers],
        sheet: "台账",
        dates: DateStyle::Serial,
        unit_short: true,
        ..base(i, header)
    }
}

fn v10(i: usize) -> Layout {
    let header = vec![
        l(Col::Seq, "序号"),
        l(Col::Name, "项目名称"),
        l(Col::Code, "项目代码"),
        l(Col::Batch, "批次"),
        l(Col::County, "所在县区"),
        l(Col::Nature, "建设性质"),
        g(
            "{Y}年投资计划及完成情况",
            vec![
                l(Col::Annual, "年度计划"),
                g(
                    "完成情况",
                    vec![
                        l(Col::Month, "本月完成"),
                        l(Col::Ytd, "1-{M}月累计完成"),
                        l(Col::Rate, "完成比例"),
                    ],
                ),
            ],
        ),
        l(Col::Total, "总投资"),
        l(Col::Status, "建设状态"),
        l(Col::Progress, "工程形象进度"),
        l(Col::Problems, "存在问题"),
        l(Col::Contact, "联系人"),
    ];
    Layout {
        titles: &["{Y}年1-{M}月{PC}项目推进情况表", "（{UNIT}）"],
        meta: Meta::FillUnitsSameRow("计量单位：万元"),
        total: TotalPos::Top(TotalLabel::Items),
        blank_after_total: true,
        groups: Grouping::Category { figures: false },
        footers: &[
            Footer::Remark("备注：建设状态填写未开工、在建、已竣工、已投产。"),
            Footer::Signers,
        ],
        sheet: "{M}月",
        dates: DateStyle::Cn,
        ..base(i, header)
    }
}

fn v11(i: usize) -> Layout {
    let header = vec![
        l(Col::Seq, "序号"),
        l(Col::Name, "项目名称"),
        l(Col::Code, "项目代码"),
        l(Col::Batch, "批次"),
        l(Col::Annual, "年度计划投资"),
        l(Col::Month, "本月完成"),
        l(Col::Ytd, "今年以来累计完成投资"),
        l(Col::Total, "总投资"),
        l(Col::Rate, "完成投资占年计划"),
        l(Col::Status, "建设状态"),
        l(Col::County, "建设地点"),
        l(Col::Owner, "项目业主"),
        l(Col::Problems, "存在问题"),
        l(Col::Remark, "备注"),
    ];
    Layout {
        titles: &["{UNIT}{PC}项目月报（{Y}年{M}月）"],
        meta: Meta::FillThenUnits("单位：万元"),
        total: TotalPos::Bottom(TotalLabel::Items),
        lone_space: true,
        footers: &[
            Footer::Remark("备注：今年以来累计完成投资为1月至本月累计数。"),
            Footer::Signers,
        ],
        ..base(i, header)
    }
}

fn v12(i: usize) -> Layout {
    let header = vec![
        l(Col::Seq, "序号"),
        l(Col::Name, "项目名称"),
        l(Col::Code, "统一项目代码"),
        l(Col::Batch, "批次"),
        l(Col::County, "所在地"),
        l(Col::Category, "{CAT}"),
        g(
            "总投资及年度计划",
            vec![
                l(Col::Total, "项目总投资"),
                l(Col::Annual, "{Y}年度计划投资"),
            ],
        ),
        g(
            "完成情况",
            vec![
                l(Col::Month, "{M}月完成投资"),
                l(Col::Ytd, "{Y}年1-{M}月累计完成投资"),
                l(Col::SinceStart, "自开工累计完成投资"),
            ],
        ),
        l(Col::Status, "建设状态"),
        l(Col::PlannedStart, "计划开工时间"),
        l(Col::StartDate, "实际开工时间"),
        l(Col::Progress, "形象进度"),
    ];
    Layout {
        titles: &["{UNIT}{PC}项目建设进展情况", "（截至{Y}年{M}月底）"],
        meta: Meta::FillThenUnits("单位：万元"),
        total: TotalPos::Bottom(TotalLabel::Plain),
        groups: Grouping::County,
        footers: &[Footer::Signers],
        sheet: "调度表",
        ..base(i, header)
    }
}

fn v13(i: usize) -> Layout {
    let header = vec![
        l(Col::Seq, "序号"),
        l(Col::Name, "项目名称"),
        l(Col::Code, "项目代码"),
        l(Col::Batch, "批次"),
        l(Col::Owner, "建设单位"),
        l(Col::County, "建设地点"),
        l(Col::Total, "计划总投资"),
        l(Col::Annual, "年度计划投资"),
        l(Col::Month, "当月完成投资"),
        l(Col::Ytd, "1-{M}月累计完成投资"),
        l(Col::SinceStart, "开工以来累计完成投资"),
        l(Col::Status, "建设状态"),
        l(Col::StartDate, "实际开工时间"),
        l(Col::Progress, "形象进度"),
        l(Col::Remark, "备注"),
    ];
    Layout {
        titles: &["{UNIT}{PC}项目推进情况统计表", "{Y}年{M}月"],
        meta: Meta::Fill,
        units: HeaderUnits::Full,
        total: TotalPos::Top(TotalLabel::Grand),
        footers: &[
            Footer::Remark("备注：建设单位为项目业主单位。"),
            Footer::Signers,
        ],
        sheet: "调度表（{M}月）",
        dates: DateStyle::Dot,
        ..base(i, header)
    }
}
