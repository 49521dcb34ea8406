#!/bin/sh
# Installs one stack's toolchain into its image (run as root during the build): what the
# stack's templates/<stack>/repl.json toolchain check looks for, from Debian's packages.
set -eu
stack="$1"
apt_install() {
  apt-get update
  apt-get install -y --no-install-recommends "$@"
}
case "$stack" in
  node | react)
    # Node 24 is in the base; npm (pinned by the build script) for installs in the repl.
    mkdir -p /usr/local/lib/node_modules/npm
    tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
    ;;
  python) apt_install python3 python3-venv ;;
  # Served by the agent's own static server, under the base's Node: nothing to add.
  static) ;;
  # gcc: Go 1.19 builds net/http with cgo when it is on (and fails without a C compiler).
  go) apt_install golang-go gcc libc6-dev ;;
  rust) apt_install cargo ;;
  *)
    echo "stack-packages.sh: no toolchain known for stack '$stack'" >&2
    exit 1
    ;;
esac
