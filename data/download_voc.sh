#!/usr/bin/env bash
# Pascal VOC 2012 with the SBD-augmented masks, in the layout cilseg (and the original MiB) reads (spec 2.1):
#   <dest>/PascalVOC12/JPEGImages/*.jpg
#   <dest>/PascalVOC12/SegmentationClassAug/*.png      (class ids 0..20, 255 = border)
#   <dest>/PascalVOC12/splits/train_aug.txt, val.txt   (10 582 and 1 449 lines)
# Usage: bash data/download_voc.sh [dest]   (dest defaults to this script's folder, i.e. cilseg's data root)
# About 2 GB of downloads; needs wget, tar and unzip.
set -euo pipefail

dest="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
mkdir -p "$dest"
cd "$dest"

wget -c http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar
tar -xf VOCtrainval_11-May-2012.tar
mkdir -p PascalVOC12
mv VOCdevkit/VOC2012/* PascalVOC12/
rmdir VOCdevkit/VOC2012 VOCdevkit

cd PascalVOC12
for f in SegmentationClassAug SegmentationClassAug_Visualization list; do
    wget -c "http://cs.jhu.edu/~cxliu/data/$f.zip"
    unzip -q -o "$f.zip"
done
rm -rf splits
mv list splits

for p in JPEGImages SegmentationClassAug splits/train_aug.txt splits/val.txt; do
    [ -e "$p" ] || { echo "download_voc.sh: $dest/PascalVOC12/$p is missing after unpacking" >&2; exit 1; }
done
echo "VOC ready in $dest/PascalVOC12 ($(wc -l < splits/train_aug.txt) train_aug, $(wc -l < splits/val.txt) val lines)"
echo "The archives (*.tar, *.zip) can be deleted."
