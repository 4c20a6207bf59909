#!/usr/bin/env bash
# veraPDF, the PDF/A validator, fetched from Maven Central into the cache (no downloads at test time after the
# first), and run on the files given:   deploy/verapdf.sh FILE...   (machine-readable report on stdout)
set -euo pipefail

VERAPDF_VERSION=1.28.2
if [ "$(id -u)" = 0 ]; then CACHE=${SOHOA_CACHE:-/var/cache/sohoa}; else CACHE=${SOHOA_CACHE:-$HOME/.cache/sohoa}; fi
HOME_DIR=$CACHE/verapdf-$VERAPDF_VERSION

if [ ! -f "$HOME_DIR/lib/greenfield-apps-$VERAPDF_VERSION.jar" ]; then
    command -v mvn >/dev/null || { echo "verapdf: Maven is needed to fetch veraPDF" >&2; exit 1; }
    mkdir -p "$HOME_DIR"
    cat >"$HOME_DIR/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>sohoa</groupId><artifactId>verapdf-runner</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.verapdf.apps</groupId><artifactId>greenfield-apps</artifactId><version>$VERAPDF_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
    if ! (cd "$HOME_DIR" && mvn -B -Dstyle.color=never dependency:copy-dependencies -DoutputDirectory=lib \
        >"$HOME_DIR/mvn.log" 2>&1); then
        tail -40 "$HOME_DIR/mvn.log" >&2
        echo "verapdf: could not fetch veraPDF $VERAPDF_VERSION from Maven Central" >&2
        exit 1
    fi
fi

java_bin=java
for jdk in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/*; do
    if [ -x "$jdk/bin/java" ]; then java_bin=$jdk/bin/java; break; fi
done
exec "$java_bin" -cp "$HOME_DIR/lib/*" org.verapdf.apps.GreenfieldCliWrapper --flavour 2b --format mrr "$@"
