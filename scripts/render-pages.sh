#!/usr/bin/env bash
# Render every .xlsx under OUT_DIR to PNG pages under PNG_DIR, for checking the
# official look by eye (issue 5): LibreOffice headless → PDF → pdftoppm.
#
#   scripts/render-pages.sh OUT_DIR PNG_DIR
#
# Installs libreoffice-calc and poppler-utils from Debian's packages when
# missing (needs root or sudo). Prints the PNG files written, one per line.
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
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing ${need[*]} ..." >&2
    $sudo apt-get update >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends \
        "${need[@]}" fonts-noto-cjk >&2
fi
lo=$(command -v libreoffice || command -v soffice)

mkdir -p "$png_dir"
png_dir=$(cd "$png_dir" && pwd)
pdf_dir=$(mktemp -d)
profile=$(mktemp -d)
trap 'rm -rf "$pdf_dir" "$profile"' EXIT

# Flatten relative paths into file names so equal names in different month
# folders do not collide: 2023-07/新基建….xlsx → 2023-07__新基建….pdf
find "$out_dir" -type f -name '*.xlsx' ! -name '~$*' -print0 | sort -z |
while IFS= read -r -d '' xlsx; do
    rel=${xlsx#"$out_dir"/}
    flat=${rel//\//__}
    stem=${flat%.xlsx}
    work=$(mktemp -d)
    cp "$xlsx" "$work/$stem.xlsx"
    # A private profile: a concurrent LibreOffice (or a stale lock) cannot block us.
    "$lo" -env:UserInstallation="file://$profile" --headless --convert-to pdf \
        --outdir "$work" "$work/$stem.xlsx" >/dev/null 2>&1 || {
        echo "conversion failed: $xlsx" >&2
        rm -rf "$work"
        continue
    }
    mv "$work/$stem.pdf" "$pdf_dir/$stem.pdf"
    rm -rf "$work"
    pdftoppm -r 60 -png "$pdf_dir/$stem.pdf" "$png_dir/$stem"
done

find "$png_dir" -type f -name '*.png' | sort
