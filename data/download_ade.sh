#!/usr/bin/env bash
# ADE20K SceneParsing (150 classes), in the layout cilseg (and the original MiB) reads (spec 2.1):
#   <dest>/ADEChallengeData2016/images/{training,validation}/*.jpg          (20 210 and 2 000 images)
#   <dest>/ADEChallengeData2016/annotations/{training,validation}/*.png     (class ids 0..150)
# Usage: bash data/download_ade.sh [dest]   (dest defaults to this script's folder, i.e. cilseg's data root)
# About 1 GB of downloads; needs wget and unzip.
set -euo pipefail

dest="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
mkdir -p "$dest"
cd "$dest"

wget -c http://data.csail.mit.edu/places/ADEchallenge/ADEChallengeData2016.zip
unzip -q -o ADEChallengeData2016.zip

for p in images/training images/validation annotations/training annotations/validation; do
    [ -d "ADEChallengeData2016/$p" ] || { echo "download_ade.sh: $dest/ADEChallengeData2016/$p is missing after unpacking" >&2; exit 1; }
done
echo "ADE20K ready in $dest/ADEChallengeData2016; ADEChallengeData2016.zip can be deleted."
