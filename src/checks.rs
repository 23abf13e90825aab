//! The check catalogue: every check's stable id, default severity, what it
//! checks, what to do, and an example; plus the one constructor of
//! [`Finding`]s so every message names file, sheet, cell and value the same way.
//!
//! Ids: `E…` reject the row (or file) by default, `W…` keep it flagged;
//! a pipeline file may change a severity (`[checks.severity]`).
//! 0xx file, 1xx header, 2xx row, 3xx consistency with last month, 4xx completeness.

use crate::model::{Finding, Severity};

/// Severities a pipeline file sets for some checks (`[checks.severity]`);
/// `config::PipelineSpec` implements it, so this module imports no config.
pub trait SeverityOverrides {
    fn severity_override(&self, id: &str) -> Option<Severity>;
}

/// One entry of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct CheckDef {
    pub id: &'static str,
    pub severity: Severity,
    /// Short Chinese title.
    pub title: &'static str,
    /// What to do, addressed to the unit.
    pub help: &'static str,
    /// An example of what fires it.
    pub example: &'static str,
}

const fn def(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    help: &'static str,
    example: &'static str,
) -> CheckDef {
    CheckDef {
        id,
        severity,
        title,
        help,
        example,
    }
}

use Severity::{Error as E, Warning as W};

/// The catalogue, in id order.
pub const CATALOGUE: &[CheckDef] = &[
    def("E001", E, "文件无法读取（损坏或不完整）", "请重新导出完整的 Excel 文件后再报送。", "传输中断只剩一半的 .xlsx"),
    def("E002", E, "文件已加密", "请取消文件密码（文件→信息→保护工作簿）后重新报送。", "设置了打开密码的工作簿"),
    def("E003", E, "不是可读取的电子表格", "请另存为 .xlsx（Excel 工作簿）后重新报送；WPS 的 .et 文件请用“另存为 Excel 格式”。", "WPS .et 文件、PDF、Word 文件"),
    def("E004", E, "空文件", "文件大小为 0，请重新导出后报送。", "0 字节的 .xlsx"),
    def("E005", E, "未找到台账表头", "请使用统一模板，保留“项目代码、项目名称、总投资、年度计划投资、本月完成投资、累计完成投资、建设状态”等表头。", "只有说明文字的工作表"),
    def("E006", E, "文件所属期别与本期不符（整个文件不计入）", "请核对文件标题或文件名中的月份，报送本期（见提示）的数据。", "7月的收件夹里放了标题为“1-6月”的表"),
    def("E007", E, "无法识别填报单位", "请在文件名或“填报单位：”一行写明设区市名称，或在表中填写“责任单位”列。（表中项目有八成以上属于同一单位时，会按该单位处理并提示 W011，不再拒收。）", "文件名为“附件1.xlsx”，表内无单位信息，项目分属南昌市和九江市各半"),
    def("W008", W, "同一单位本期报送了多个文件（按项目合并，重复项目以较晚的文件为准）", "同一单位的多个文件按项目合并计入：项目互不重复的文件都计入；同一项目出现在两个文件中时，以较晚的文件为准（先比填报时间，其次文件修改时间，最后文件名），较早文件中的该行跳过不计（“superseded by 较晚文件”）；全部项目都被取代的文件列为“已取代”。请核对被取代的项目以哪个文件为准；如较早的文件已作废，请通知单位今后只报送一个完整文件。", "南昌市.xlsx 与 南昌市（修订）.xlsx；南昌市台账.xlsx 与 南昌市补报1个项目.xlsx"),
    def("W009", W, "无法判断文件所属项目类别", "请在文件名或表格标题中写明台账所属的项目类别名称（与报送通知中的名称一致）。", "标题与项目代码都无法对应任何流水线"),
    def("W010", W, "存在隐藏的台账工作表或隐藏行", "隐藏的台账工作表不读取；隐藏的数据行按流水线设置处理（默认读取并提示）。如隐藏内容不应报送，请删除后重新报送。", "隐藏的“7月”工作表"),
    def("W011", W, "未写明填报单位，已按项目所属单位认定", "文件名、标题、“填报单位”行和“责任单位”列都没有写明单位，已按表中八成以上项目的责任单位认定报送单位。请核实认定是否正确；今后请在文件名或“填报单位：”一行写明单位。", "附件2.xlsx 中 12 个项目都属于九江市"),
    def("W012", W, "判断报送单位的依据不一致", "文件名、“填报单位”行、标题、“责任单位”列或表中项目的所属单位指向不同单位，已按排在前面的依据（文件名优先）认定。请核实文件是否放错或填错单位：如是某单位误用了其他单位的文件名，请更正文件名后重新放入收件箱；如代报其他单位的项目，请改由责任单位报送。", "文件名为“南昌市….xlsx”，表中项目全部属于九江市"),
    def("E013", E, "填报模板不是本期的（整个文件不计入）", "请使用省发改委下发的本期模板（文件名和“填报说明”中写有期别）重新填报。", "8月的收件夹里放了7月的填报模板"),
    def("E014", E, "填报模板不是本单位的（整个文件不计入）", "请使用下发给本单位的模板（文件名以本单位名称开头）重新填报，不要改用其他单位的模板。", "文件名为“萍乡市….xlsx”，模板却是下发给南昌市的"),
    def("E101", E, "缺少必填列", "请补充该列（表头名称可用同义写法，见提示）。", "没有“1-N月累计完成投资”列"),
    def("E102", E, "同一字段对应了两列", "请删除或改名其中一列，使每个字段只有一列。", "两列都叫“总投资”"),
    def("W103", W, "表头金额单位无法识别，已按默认单位读取", "请在表头或“单位：万元”一行写明金额单位（元、万元或亿元）。", "总投资（千元）"),
    def("W104", W, "表头识别不确定", "请核对表头是否为统一模板的写法。", "表头行与标题行相邻且两行都像表头"),
    def("E105", E, "填报模板中锁定的项目代码或序号被改动（该行不计入）", "模板中灰色底的单元格来自项目库，请勿改动：请恢复原值后重新报送；库外新增项目请填在表格下方的空白行中。", "第5行项目代码由 2023-360100-64-03-000001 改为 2023-360100-64-03-000009"),
    def("W106", W, "填报模板中锁定的项目名称、类别、计划或完成时限被改动（按项目库计入）", "模板中灰色底的单元格来自项目库，请勿改动（本次已按项目库的值计入）；如项目信息确需调整，请按程序申请。", "年度计划投资由 5,460.00 改为 6,000.00"),
    def("W107", W, "项目库在模板生成后已更新，未逐格比对锁定单元格", "模板生成后项目库有变动：本次仍按项目库校验各行；请下期使用新生成的模板。", "模板生成后项目库新增了本单位的项目"),
    def("E201", E, "项目不在项目库中", "请核对项目代码；如为新增项目，请先向省发改委申请入库。", "2023-360800-65-01-999999 不在库"),
    def("W202", W, "项目名称与项目库不一致", "请按项目库中的正式名称填写（已按项目代码匹配）。", "“九江智算中心”应为“九江智能计算中心项目”"),
    def("E203", E, "同一文件中项目重复填报", "请删除重复的行，只保留一行。", "同一项目在第12行和第30行各出现一次"),
    def("E204", E, "项目已由其他文件报送（跨文件重复）", "以项目责任单位报送的数据为准，本行不计入；请删除该行。", "南昌市项目同时出现在赣江新区的表中"),
    def("W205", W, "非项目责任单位报送", "该项目的责任单位不是本单位，请核实后由责任单位报送。", "赣江新区报送了南昌市的项目"),
    def("E206", E, "金额不是数字", "请填写数字（单位见表头），不要填写文字说明。", "“约300”"),
    def("E207", E, "金额为负数", "投资额不能为负，请核实后填写。", "-120"),
    def("E208", E, "金额单位无法识别", "请只填数字，金额单位写在表头。", "“120美元”"),
    def("W209", W, "日期无法识别", "请按“2023-07”或“2023年7月”格式填写。", "“七月中旬”"),
    def("W210", W, "数字以文本形式填写（已自动转换）", "请直接填写数字，不要带单位或以文本格式保存；本次已按换算后的数值读取，请核对。", "“1,234.50万元”"),
    def("E211", E, "项目代码格式错误且无法按名称匹配", "项目代码应为“YYYY-AAAAAA-II-TT-NNNNNN”（24位，含4个连字符）。", "2023-36010-64-01-104233"),
    def("E212", E, "单元格为错误值或公式无结果", "请修正公式（如 #REF!、#DIV/0!）或改为直接填写数值。", "#REF!"),
    def("W213", W, "无项目代码，已按名称匹配", "请补填项目代码。", "项目代码为空，名称与库中项目一致"),
    def("W214", W, "合计行与明细之和不符", "请核对合计行公式或明细数据。", "合计 12,345.00 ≠ 明细之和 12,300.00"),
    def("E215", E, "缺少必填数值", "请填写该项数值（无投资请填 0）。", "1-7月累计完成投资为空"),
    def("W216", W, "建设状态无法识别", "请填写 未开工、在建、已竣工 或 已投产。", "“进行中”"),
    def("W217", W, "同一项目在本单位两个文件中数值不同", "同一单位两个文件都填报了该项目且数值不同，已以较晚的文件为准（先比填报时间，其次文件修改时间，最后文件名），本行跳过不计。请核实哪个数值正确；如仅按文件名判定先后，请务必向单位确认。", "南昌市台账.xlsx 累计 500.00 万元，南昌市补报.xlsx 累计 520.00 万元"),
    def("E301", E, "累计完成投资低于上月", "本年累计数不应减少：该行未被采纳，请核对并改正该单元格后立即重新报送本期台账（如系上期数据有误，请同时书面说明）。", "1-7月 5,000 < 1-6月 5,200"),
    def("W302", W, "累计数与上月累计加本月完成不符", "请核对：本年累计 = 上月累计 + 本月完成。", "1-7月 5,300 ≠ 5,000 + 200"),
    def("W303", W, "本年累计完成投资超过总投资", "请核对金额单位及数值。", "累计 12,000 > 总投资 10,000"),
    def("W304", W, "年度计划投资超过总投资", "请核对年度计划或总投资。", "年度计划 12,000 > 总投资 10,000"),
    def("W305", W, "状态为未开工但已有投资", "请更新建设状态或核对投资额。", "未开工，本月完成 300"),
    def("W306", W, "年度计划投资与项目库不一致", "年度计划以项目库为准，如需调整请按程序申请。", "填 8,000，库中为 9,000"),
    def("W307", W, "建设状态倒退", "请核对建设状态（如上月已投产，本月不应为在建）。", "上月已投产，本月在建"),
    def("W308", W, "本月投资异常跳变（疑似单位填错）", "本月完成额远超该项目以往水平，请核对是否把“元”“亿元”当作“万元”填写。", "以往每月约 200 万元，本月 2,000,000"),
    def("W401", W, "项目本期未报送", "该项目本期没有被采纳的数据，请立即补报本期数据（如项目已停建或调出，请书面说明）。", "库中项目本月无人报送"),
    def("W402", W, "单位本期未报送", "请尽快报送本期台账。", "萍乡市 5 月无文件"),
    def("E501", E, "工作任务不在计划中", "请核对序号和工作举措：只填报本年度工作计划中由本单位承担的任务；如为新增任务，请先报省发改委纳入计划。", "序号 112“建设元宇宙体验中心”在计划中找不到"),
    def("E502", E, "不是本单位承担的工作任务", "该任务的责任单位不含本单位，本行不计入；请删除该行，由责任单位报送。", "省商务厅填报了省教育厅的第 73 项"),
    def("W503", W, "完成状态倒退", "请核对完成状态（如上月已完成，本月不应为按序时推进或未启动）；如上月填报有误，请书面说明。", "上月已完成，本月按序时推进"),
    def("W504", W, "已完成但未填完成时间", "请在“完成时间”列填写完成的年月（如 2023年6月）。", "完成状态为已完成，完成时间为空"),
    def("W505", W, "进展情况为空", "请简要填写本月工作进展（做了什么、达到什么程度）。", "进展情况单元格为空"),
    def("W506", W, "任务逾期未完成", "该任务已过完成时限仍未完成，请说明原因和预计完成时间，并加快推进。", "完成时限 2023年6月，7月仍为按序时推进"),
    def("W507", W, "按工作举措文字匹配到计划任务（文字与计划不完全一致）", "序号与计划不符，已按文字最接近的本单位任务计入；请按计划的序号和原文填写。", "序号 3“推动复合半导体实验室挂牌”对应计划第 3 项"),
    def("E508", E, "完成状态为空或无法识别", "请填写 已完成、按序时推进、滞后 或 未启动 之一。", "“基本完成中”“正在推进”"),
    def("W509", W, "任务本期未报送进展", "本单位本期报送了台账，但没有该任务的进展（沿用上月状态显示）；请补报。", "台账中漏填了第 24 项"),
];

/// Finds a check by id.
pub fn lookup(id: &str) -> Option<&'static CheckDef> {
    CATALOGUE.iter().find(|c| c.id == id)
}

/// Where a finding points.
#[derive(Debug, Clone, Default)]
pub struct Loc<'a> {
    pub file: &'a str,
    pub sheet: &'a str,
    pub cell: &'a str,
    pub project_code: &'a str,
    pub unit: &'a str,
}

/// Builds a finding for check `id` with the pipeline's severity. `detail` is the
/// specific sentence (what is wrong here); value and expected are shown when non-empty.
pub fn finding<S: SeverityOverrides + ?Sized>(
    spec: Option<&S>,
    id: &str,
    loc: &Loc<'_>,
    detail: &str,
    value: &str,
    expected: &str,
) -> Finding {
    let def = lookup(id);
    let default_sev = def.map_or(Severity::Warning, |d| d.severity);
    let severity = spec
        .and_then(|s| s.severity_override(id))
        .unwrap_or(default_sev);
    let help = def.map_or("", |d| d.help);
    let title = def.map_or("", |d| d.title);
    let mut message = String::new();
    if !loc.file.is_empty() {
        message.push_str(&format!("文件“{}”", loc.file));
        if !loc.sheet.is_empty() {
            message.push_str(&format!("工作表“{}”", loc.sheet));
        }
        if !loc.cell.is_empty() {
            message.push_str(&format!("单元格 {}", loc.cell));
        }
        message.push('：');
    }
    message.push_str(&format!("【{id} {title}】{detail}"));
    if !value.is_empty() {
        message.push_str(&format!("（填报值：{value}"));
        if !expected.is_empty() {
            message.push_str(&format!("；应为：{expected}"));
        }
        message.push('）');
    } else if !expected.is_empty() {
        message.push_str(&format!("（应为：{expected}）"));
    }
    if !message.ends_with('。') {
        message.push('。');
    }
    message.push_str(&format!("处理：{help}"));
    Finding {
        id: id.to_string(),
        severity,
        file: loc.file.to_string(),
        sheet: loc.sheet.to_string(),
        cell: loc.cell.to_string(),
        project_code: loc.project_code.to_string(),
        unit: loc.unit.to_string(),
        message,
        value: value.to_string(),
        expected: expected.to_string(),
        help: help.to_string(),
        waived: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_sorted_and_prefixed_by_severity() {
        let mut last = "";
        for c in CATALOGUE {
            assert!(c.id[1..] > *last, "{} out of order", c.id);
            last = &c.id[1..];
            let want = if c.id.starts_with('E') {
                Severity::Error
            } else {
                Severity::Warning
            };
            assert_eq!(c.severity, want, "{}", c.id);
        }
    }

    #[test]
    fn message_names_file_sheet_cell_value_and_help() {
        let loc = Loc {
            file: "九江市.xlsx",
            sheet: "Sheet1",
            cell: "F12",
            project_code: "x",
            unit: "九江市",
        };
        let f = finding(
            None::<&crate::config::PipelineSpec>,
            "E301",
            &loc,
            "1-7月累计低于1-6月累计",
            "5,000.00",
            "≥ 5,200.00",
        );
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.message.starts_with(
                "文件“九江市.xlsx”工作表“Sheet1”单元格 F12：【E301 累计完成投资低于上月】"
            ),
            "{}",
            f.message
        );
        assert!(f.message.contains("填报值：5,000.00；应为：≥ 5,200.00"));
        assert!(f.message.contains("处理："));
    }
}
