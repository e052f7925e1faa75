#!/usr/bin/env bash
# Installs the veraPDF CLI (PDF/A validator) from Maven Central into the hoso cache.
#   ${HOSO_CACHE:-$HOME/.cache/hoso}/verapdf/lib/*.jar   the jars
#   ${HOSO_CACHE:-$HOME/.cache/hoso}/verapdf/verapdf     a launcher: verapdf --flavour 2b FILE.pdf
# Idempotent: does nothing when the launcher of this pom's version is already there.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="${HOSO_CACHE:-$HOME/.cache/hoso}/verapdf"
version="$(sed -n 's:.*<verapdf.version>\(.*\)</verapdf.version>.*:\1:p' "$here/pom.xml")"
stamp="$target/.installed-$version"

if [[ -x "$target/verapdf" && -f "$stamp" ]]; then
  echo "veraPDF $version already installed in $target"
  exit 0
fi

command -v mvn >/dev/null || { echo "mvn is required to install veraPDF" >&2; exit 1; }
command -v java >/dev/null || { echo "java is required to run veraPDF" >&2; exit 1; }

rm -rf "$target/lib"
mkdir -p "$target/lib"
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$target/lib"

cat > "$target/verapdf" <<'LAUNCHER'
#!/usr/bin/env bash
# veraPDF CLI; arguments as the upstream `verapdf` script (e.g. --flavour 2b --format text FILE).
set -euo pipefail
lib="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib"
exec java -Xmx512m -Dfile.encoding=UTF-8 -cp "$lib/*" org.verapdf.apps.GreenfieldCliWrapper "$@"
LAUNCHER
chmod +x "$target/verapdf"
rm -f "$target"/.installed-*
touch "$stamp"
echo "veraPDF $version installed in $target"
