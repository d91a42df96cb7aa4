#!/bin/sh
# Installs ntp-lite's build and test dependencies from Debian 12 packages and builds it.
# Idempotent. Never touches the system clock. Usage: scripts/setup.sh [build-dir]
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}

PACKAGES="cmake g++ ninja-build pkg-config python3 libboost-dev libspdlog-dev libfmt-dev libtomlplusplus-dev \
libgtest-dev libgmock-dev libcli11-dev nlohmann-json3-dev libssl-dev chrony chromium ntpsec-ntpdig \
iproute2 util-linux procps clang-16 libclang-rt-16-dev libcap-ng-dev scdoc systemd \
man-db debhelper dpkg-dev fakeroot lintian"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    # Installing chrony would start (and enable) its service, which disciplines the clock. ntp-lite's
    # tests run their own chronyd with -x and CAP_SYS_TIME dropped, so block service start-up
    # during the install with a temporary policy-rc.d, and disable the unit afterwards.
    made_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
        $SUDO chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
    case " $missing " in *" chrony "*)
        if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
            $SUDO systemctl disable --now chrony >/dev/null 2>&1 || true
        fi ;;
    esac
    [ -z "$made_policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d
fi

# CI builds with -Werror and the man pages (scdoc); a plain user build needs neither.
# ccache, when the machine has it, makes repeated builds (CI on a developer machine) fast; the
# build does not depend on it.
launcher=""
command -v ccache >/dev/null 2>&1 &&
    launcher="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache"
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -G Ninja $launcher -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNTPLITE_WERROR=ON \
    -DNTPLITE_MANPAGES=ON >/dev/null
cmake --build "$BUILD_DIR" -j2
