#!/usr/bin/env bash
# Render every .xlsx and .docx (the quarterly 通报) under OUT_DIR to PNG pages
# under PNG_DIR, for checking the official look by eye (issues 5 and 11):
# LibreOffice headless → PDF → pdftoppm.
#
#   scripts/render-pages.sh OUT_DIR PNG_DIR
#
# Installs libreoffice-calc, libreoffice-writer, poppler-utils and a CJK font
# from Debian's packages when missing (needs root or sudo). Prints the PNG
# files written, one per line.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 OUT_DIR PNG_DIR" >&2
    exit 2
fi
out_dir=$1
png_dir=$2
[ -d "$out_dir" ] || { echo "not a directory: $out_dir" >&2; exit 2; }

need=()
command -v libreoffice >/dev/null 2>&1 || command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
# Carlito has Calibri's metrics: without it LibreOffice sizes columns by a
# wider fallback font and the pages no longer match Excel's.
fc-list 2>/dev/null | grep -qi carlito || need+=(fonts-crosextra-carlito)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
if command -v dpkg-query >/dev/null 2>&1; then
    installed libreoffice-writer || need+=(libreoffice-writer)
    installed fonts-noto-cjk || installed fonts-wqy-zenhei || need+=(fonts-noto-cjk)
fi
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing ${need[*]} ..." >&2
    $sudo apt-get update >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends \
        "${need[@]}" >&2
fi
lo=$(command -v libreoffice || command -v soffice)

mkdir -p "$png_dir"
png_dir=$(cd "$png_dir" && pwd)
pdf_dir=$(mktemp -d)
profile=$(mktemp -d)
fonts=$(mktemp -d)
trap 'rm -rf "$pdf_dir" "$profile" "$fonts"' EXIT

# The Chinese office fonts the reports name are rarely installed on Linux:
# render 仿宋 / 宋体 / 小标宋 with a serif CJK face and 黑体 with a sans one
# (not LibreOffice's default sans for everything), so the pages look as
# printed on an office PC.
cat >"$fonts/fonts.conf" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <alias binding="same"><family>仿宋_GB2312</family><prefer><family>Noto Serif CJK SC</family><family>AR PL UMing CN</family></prefer></alias>
  <alias binding="same"><family>仿宋</family><prefer><family>Noto Serif CJK SC</family><family>AR PL UMing CN</family></prefer></alias>
  <alias binding="same"><family>宋体</family><prefer><family>Noto Serif CJK SC</family><family>AR PL UMing CN</family></prefer></alias>
  <alias binding="same"><family>方正小标宋简体</family><prefer><family>Noto Serif CJK SC</family></prefer></alias>
  <alias binding="same"><family>黑体</family><prefer><family>Noto Sans CJK SC</family><family>WenQuanYi Zen Hei</family></prefer></alias>
</fontconfig>
XML
export FONTCONFIG_FILE="$fonts/fonts.conf"

# Flatten relative paths into file names so equal names in different month
# folders do not collide: 2023-07/新基建….xlsx → 2023-07__新基建….pdf
find "$out_dir" -type f \( -name '*.xlsx' -o -name '*.docx' \) ! -name '~$*' -print0 | sort -z |
while IFS= read -r -d '' doc; do
    rel=${doc#"$out_dir"/}
    flat=${rel//\//__}
    ext=${flat##*.}
    stem=${flat%.*}
    work=$(mktemp -d)
    cp "$doc" "$work/$stem.$ext"
    # A private profile: a concurrent LibreOffice (or a stale lock) cannot block us.
    "$lo" -env:UserInstallation="file://$profile" --headless --convert-to pdf \
        --outdir "$work" "$work/$stem.$ext" >/dev/null 2>&1 || {
        echo "conversion failed: $doc" >&2
        rm -rf "$work"
        continue
    }
    mv "$work/$stem.pdf" "$pdf_dir/$stem.pdf"
    rm -rf "$work"
    # Documents at a resolution where 3号 text can be read; workbook pages smaller.
    dpi=60
    [ "$ext" = docx ] && dpi=90
    pdftoppm -r "$dpi" -png "$pdf_dir/$stem.pdf" "$png_dir/$stem"
done

find "$png_dir" -type f -name '*.png' | sort
