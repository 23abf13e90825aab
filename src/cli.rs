//! Command line (clap derive). The doc comments are the `--help` text a
//! commission analyst reads; keep them plain.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// 台账 taizhang —— 重点项目台账月末批处理工具
///
/// 把各设区市、赣江新区和省直单位报来的台账 Excel 放进收件目录（每期一个子文件夹，如 inbox/2023-07/），运行 `taizhang run`，即可得到校验结果、月度监测表、需退回修改的单位清单和 manifest.json。不加任何参数时，处理随附的样例数据。
#[derive(Debug, Parser)]
#[command(name = "taizhang", version)]
pub struct Cli {
    /// 配置目录（含 pipelines/ 和 seeds/）；不填时依次查找：环境变量 TAIZHANG_ROOT、当前目录、程序所在目录
    #[arg(long, value_name = "DIR", global = true)]
    pub root: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 月末批处理：读取收件目录中的台账，校验、汇总并生成报表
    ///
    /// 例：
    ///   taizhang run                                   处理样例数据的最新一期
    ///   taizhang run --inbox D:/台账收件 --period 2023-07
    ///   taizhang run --pipeline new-infra --library 新基建项目库.xlsx
    ///   taizhang run --from 2023-05                    更正了 5 月的文件后，从 5 月起重做
    ///
    /// 每期的报表、退回修改表、manifest.json 和历史库记录作为一个整体写出：
    /// 中途被打断（断电、强行结束、磁盘满）后重新运行即可，结果与一次跑完相同。
    /// 更早的月份若报表缺失或被改动、收件文件有变动、或项目库/配置已变更，会自动重做并说明原因。
    #[command(verbatim_doc_comment)]
    Run(RunArgs),
    /// 季度通报：从历史库生成指定季度的通报（各月须已运行过 taizhang run）
    ///
    /// 例：taizhang quarterly --quarter 2023Q2
    Quarterly {
        /// 季度，如 2023Q2
        #[arg(long, value_name = "YYYYQn")]
        quarter: String,
        /// 输出目录：通报写到 输出目录/项目类别/季末月份/ 下
        #[arg(long, value_name = "DIR", default_value = "out")]
        out: PathBuf,
        /// 历史库目录；默认为 输出目录/history
        #[arg(long, value_name = "DIR")]
        store: Option<PathBuf>,
        /// 只处理指定的项目类别（可重复）
        #[arg(long = "pipeline", value_name = "ID|FILE")]
        pipelines: Vec<String>,
    },
    /// 列出全部校验规则（编号、级别、检查内容、示例）
    Checks,
    /// 生成一套起步配置目录：项目类别配置、单位名录、空白项目库、收件目录和说明（已有的文件不覆盖）
    ///
    /// 例：taizhang init D:/台账   然后把项目库填好，在 D:/台账 中运行 taizhang run --inbox inbox
    Init {
        /// 要生成的目录
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// 性能测试：按一个项目类别的配置生成杂乱和干净两种收件箱（各两期），测量各环节耗时和峰值内存
    ///
    /// 收件箱按该项目类别配置中的字段和表头写法生成，单位取自 seeds/units.toml，另生成一个含全部测试项目的项目库。杂乱收件箱：每单位 3-4 个文件、另有修订和补报、约 2% 各类错误，历史库中已有上月（先补跑 6 月）。对照两项基准：calamine 裸读（只打开文件、访问每个单元格）和 rust_xlsxwriter 裸写（把同样的单元格不加格式写出一次）；整批处理必须读一遍、写出含每个项目的报表，不可能快于二者之和。
    Bench {
        /// 文件数
        #[arg(long, default_value_t = 50)]
        files: usize,
        /// 每个文件的数据行数
        #[arg(long, default_value_t = 2000)]
        rows: usize,
        /// 每项重复次数（取最快一次）
        #[arg(long, default_value_t = 3)]
        reps: usize,
        /// 测试收件箱：messy（杂乱：每单位 3-4 个文件、修订和补报、约 2% 各类错误）、clean（每单位一个无错文件）或 both（两者都测并给出比值）
        #[arg(long, value_enum, default_value_t = BenchKind::Both)]
        kind: BenchKind,
        /// 工作目录（指定时保留生成的收件箱和报表以便查看；默认用系统临时目录并在结束后删除）
        #[arg(long, value_name = "DIR")]
        work: Option<PathBuf>,
        /// 要测试的项目类别（pipelines/ 下的 id，如 new-infra，或一个 .toml 文件）；默认为 pipelines/ 中按文件名排序的第一个（随附配置中即 digital-economy）。只支持投资类项目（需有项目代码、年度计划、本月及累计完成投资等字段）
        #[arg(long = "pipeline", value_name = "ID|FILE")]
        pipeline: Option<String>,
    },
    /// 报送情况：某一期各单位报了什么、谁还没报（催报名单）；不生成报表，不写历史库
    ///
    /// 只读取该期收件目录，列出各项目类别每个单位收到的文件和时间、行数、错误、警告，以及 未报送 / 已报送有错 / 已报送，
    /// 并写出 输出目录/报送情况/报送情况-YYYY年MM月.xlsx。
    ///
    /// 例：
    ///   taizhang status                               样例数据最新一期的报送情况
    ///   taizhang status --inbox D:/台账收件 --period 2023-08
    #[command(verbatim_doc_comment)]
    Status {
        /// 期别，如 2023-08；不填则为收件目录中最新的一期
        #[arg(long, value_name = "YYYY-MM")]
        period: Option<String>,
        /// 收件目录：其下每期一个子文件夹；默认使用随附的样例 samples/inbox
        #[arg(long, value_name = "DIR")]
        inbox: Option<PathBuf>,
        /// 输出目录：报送情况表写到 输出目录/报送情况/ 下
        #[arg(long, value_name = "DIR", default_value = "out")]
        out: PathBuf,
        /// 历史库目录（只读，用于与上月比对）；默认为 输出目录/history
        #[arg(long, value_name = "DIR")]
        store: Option<PathBuf>,
        /// 只看指定的项目类别（pipelines/ 下的 id），可重复
        #[arg(long = "pipeline", value_name = "ID|FILE")]
        pipelines: Vec<String>,
    },
    /// 填报模板：按项目库为每个单位生成本期填报模板（每个项目类别、每个单位一个文件）
    ///
    /// 模板含“填报说明”和“填报表”两个工作表：项目代码、名称、类别、计划投资（工作任务为序号、重点专项、工作举措、完成时限）
    /// 来自项目库并锁定；上月累计、上月状态取自历史库，供参考；需填写的单元格带下拉列表和数据校验；
    /// 表格下方留有空白行填写库外新增项目；工作表已保护（无密码）。
    /// 单位报回的模板按模板格式读取，不再猜测表头；改动了锁定单元格、用错期别或用了其他单位的模板都会提示。
    ///
    /// 例：
    ///   taizhang templates --period 2023-08                      写到 out/模板/2023-08/
    ///   taizhang templates --period 2023-08 --pipeline new-infra --out D:/台账输出
    #[command(verbatim_doc_comment)]
    Templates {
        /// 期别，如 2023-08（模板供该月填报）
        #[arg(long, value_name = "YYYY-MM")]
        period: String,
        /// 只生成指定的项目类别（pipelines/ 下的 id，或一个 .toml 文件），可重复；默认全部
        #[arg(long = "pipeline", value_name = "ID|FILE")]
        pipelines: Vec<String>,
        /// 输出目录：模板写到 输出目录/模板/期别/ 下
        #[arg(long, value_name = "DIR", default_value = "out")]
        out: PathBuf,
        /// 历史库目录（只读，取上月数据）；默认为 输出目录/history
        #[arg(long, value_name = "DIR")]
        store: Option<PathBuf>,
    },
    /// 列出历史库中保存的各期数据（项目类别、期别、行数、合计、时间、输入文件）
    History {
        /// 历史库目录
        #[arg(long, value_name = "DIR", default_value = "out/history")]
        store: PathBuf,
    },
}

/// Which bench inboxes to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchKind {
    Messy,
    Clean,
    Both,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// 期别，如 2023-07；不填则处理收件目录中最新的一期（并先补跑历史库中缺少的更早各期）
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Option<String>,
    /// 收件目录：其下每期一个子文件夹（如 2023-07/）；默认使用随附的样例 samples/inbox
    #[arg(long, value_name = "DIR")]
    pub inbox: Option<PathBuf>,
    /// 输出目录：报表写到 输出目录/项目类别/期别/ 下
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// 历史库目录（各期已采纳数据，供环比校验和季度通报使用）；默认为 输出目录/history
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// 只处理指定的项目类别（pipelines/ 下的 id，如 new-infra，或一个 .toml 文件），可重复
    #[arg(long = "pipeline", value_name = "ID|FILE")]
    pub pipelines: Vec<String>,
    /// 用省发改委自己的项目库 Excel 代替随附项目库（需同时指定一个 --pipeline）
    #[arg(long, value_name = "FILE")]
    pub library: Option<PathBuf>,
    /// 重做某一期（可重复），如 --redo 2023-05：即使历史库中已有该期也重新读取、校验并重写报表；其后各期不受影响
    #[arg(long, value_name = "YYYY-MM")]
    pub redo: Vec<String>,
    /// 从某一期起全部重做，如 --from 2023-04：该期及以后各期都重新处理（更正了早先月份的文件后使用）
    #[arg(long, value_name = "YYYY-MM")]
    pub from: Option<String>,
    /// 重做以前各期时改用项目库文件的当前内容（默认用历史库中该期当时核对的项目库，换了项目库文件也不影响以前各期；项目库文件有变的以前各期随之重做）
    #[arg(long)]
    pub library_current: bool,
    /// 另一个 taizhang 正在使用同一输出目录时，最多排队等待的秒数（默认不等待，直接提示）
    #[arg(long, value_name = "秒", default_value_t = 0)]
    pub wait: u64,
    /// 不显示进度条
    #[arg(long)]
    pub quiet: bool,
}

/// The command line with Chinese headings and help texts where clap's own
/// are English: 用法 / 选项 / 命令, `-h` 显示帮助, `-V` 显示版本 (every
/// subcommand too).
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    chinese(Cli::command(), true)
}

fn chinese(cmd: clap::Command, top: bool) -> clap::Command {
    use clap::{Arg, ArgAction};
    let mut cmd = cmd
        .help_template("{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}")
        .subcommand_help_heading("命令")
        .disable_help_flag(true)
        .disable_help_subcommand(true)
        .mut_args(|a| {
            if a.is_positional() {
                a
            } else {
                a.help_heading("选项")
            }
        })
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("显示帮助")
                .help_heading("选项"),
        );
    if top {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("显示版本")
                .help_heading("选项"),
        );
    }
    cmd.mut_subcommands(|c| chinese(c, false))
}
