#!/bin/sh
# packaging-deb.sh - the Debian split packages (issue 8): builds them from a copy of
# the source with packaging/debian, checks lintian and the declared dependencies,
# unpacks only the core and the ims52 plugin and runs msmigrate from there, then
# builds the example out-of-tree plugin against the unpacked libmsmigrate-dev with
# pkg-config alone and checks that it loads and its hop is planned.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"
src=$MSM_TOP_SRCDIR
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

# A clean copy of the source (no build directories, no VCS), as a release has it.
mkdir -p "$TMP/src"
(cd "$src" && tar --exclude='./_build*' --exclude=./.git --exclude=./autom4te.cache -cf - .) |
    (cd "$TMP/src" && tar -xf -)
cp -r "$TMP/src/packaging/debian" "$TMP/src/debian"
if (cd "$TMP/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
        dpkg-buildpackage -b -us -uc >"$TMP/build.log" 2>&1); then
    ok "dpkg-buildpackage -b -us -uc builds the packages"
else
    not_ok "dpkg-buildpackage -b -us -uc builds the packages"; tail -40 "$TMP/build.log"; finish
fi
ver=$(cd "$TMP/src" && dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb() { echo "$TMP/${1}_${ver}_${arch}.deb"; }
abi=$(sed -n 's/^#define MSM_ABI_VERSION \([0-9][0-9]*\).*/\1/p' "$src/include/msmigrate/plugin.h")

for p in msmigrate libmsmigrate-dev $(sed -n 's/^Package: \(msmigrate-plugin-.*\)/\1/p' "$src/packaging/debian/control"); do
    check "package $p was built" test -f "$(deb "$p")"
done
lintian --fail-on error "$TMP"/msmigrate_*_"$arch".changes >"$TMP/lintian.out" 2>&1
if [ $? -eq 0 ]; then ok "lintian reports no errors"; else
    not_ok "lintian reports no errors"; grep '^E:' "$TMP/lintian.out" | head -20; fi

dpkg-deb -f "$(deb msmigrate)" Provides >"$TMP/provides"
contains "$TMP/provides" "msmigrate-abi-$abi" "the core provides msmigrate-abi-$abi"
dpkg-deb -f "$(deb msmigrate-plugin-ims52)" Depends >"$TMP/depends"
contains "$TMP/depends" "msmigrate-abi-$abi" "the ims52 plugin depends on msmigrate-abi-$abi"
contains "$TMP/depends" "msmigrate (>=" "the ims52 plugin depends on the core library package"
dpkg --info "$(deb libmsmigrate-dev)" >"$TMP/devinfo"
contains "$TMP/devinfo" "msmigrate (= $ver)" "libmsmigrate-dev depends on the same msmigrate version"
dpkg-deb -c "$(deb msmigrate-plugin-ims52)" >"$TMP/ims52.list"
contains "$TMP/ims52.list" "msmigrate/plugins/ims52.so" "the ims52 package holds ims52.so"
lacks "$TMP/ims52.list" "ms60.so" "the ims52 package holds no other plugin"

# Only msmigrate and msmigrate-plugin-ims52 "installed".
root="$TMP/root"
dpkg -x "$(deb msmigrate)" "$root"
dpkg -x "$(deb msmigrate-plugin-ims52)" "$root"
libdir="$root/usr/lib/$triplet"
pmsm() { LD_LIBRARY_PATH="$libdir" "$root/usr/bin/msmigrate" --no-default-plugin-dir \
    --plugin-dir "$libdir/msmigrate/plugins" "$@"; }
pmsm_cmd() { cmd=$1; shift; LD_LIBRARY_PATH="$libdir" "$root/usr/bin/msmigrate" "$cmd" \
    --no-default-plugin-dir --plugin-dir "$libdir/msmigrate/plugins" "$@"; }
pmsm_cmd plugins >"$TMP/plugins.out" 2>&1
contains "$TMP/plugins.out" "ims52" "msmigrate plugins lists the ims52 plugin"
lacks "$TMP/plugins.out" "ms7x-8x" "msmigrate plugins lists no plugin that is not installed"
check "ims52 is the only plugin besides core" \
    sh -c "grep -c '^[a-z0-9-]* [0-9.]* - ' '$TMP/plugins.out' | grep -qx 2"
pmsm_cmd plan --from 5.2 --to 8.1 >"$TMP/plan.out" 2>&1
contains "$TMP/plan.out" "msmigrate-plugin-ms60" "plan 5.2 -> 8.1 names the package for 6.0 -> 6.3"
contains "$TMP/plan.out" "msmigrate-plugin-ms7x-8x" "plan 5.2 -> 8.1 names the package for the 7.x/8.x hops"

# The SDK, unpacked elsewhere, used through pkg-config alone (prefix relocated).
sdk="$TMP/sdk"
dpkg -x "$(deb msmigrate)" "$sdk"
dpkg -x "$(deb libmsmigrate-dev)" "$sdk"
mkdir -p "$TMP/pc"
for pc in "$sdk/usr/lib/$triplet/pkgconfig/"*.pc; do
    sed "s|^prefix=/usr\$|prefix=$sdk/usr|" "$pc" >"$TMP/pc/$(basename "$pc")"
done
check "the SDK holds the public headers" test -f "$sdk/usr/include/msmigrate/plugin.h"
check "the SDK holds the MSM_PLUGIN m4 macro" test -f "$sdk/usr/share/aclocal/msm_plugin.m4"
ex="$TMP/example"
cp -r "$sdk/usr/share/doc/libmsmigrate-dev/examples/mbox-store" "$ex" 2>/dev/null ||
    cp -r "$src/docs/examples/mbox-store" "$ex"
check "the example plugin ships in libmsmigrate-dev" \
    test -f "$sdk/usr/share/doc/libmsmigrate-dev/examples/mbox-store/mbox-store.c"
if PKG_CONFIG_PATH="$TMP/pc" make -C "$ex" >"$TMP/example.log" 2>&1; then
    ok "the example plugin builds out of tree with pkg-config alone"
else
    not_ok "the example plugin builds out of tree with pkg-config alone"; tail -20 "$TMP/example.log"
fi
LD_LIBRARY_PATH="$sdk/usr/lib/$triplet" "$sdk/usr/bin/msmigrate" plugins --no-default-plugin-dir \
    --plugin-dir "$ex" >"$TMP/ex-plugins.out" 2>&1
contains "$TMP/ex-plugins.out" "hop x-mbox -> ms-8.1" "the example plugin loads with its hop"
LD_LIBRARY_PATH="$sdk/usr/lib/$triplet" "$sdk/usr/bin/msmigrate" plan --no-default-plugin-dir \
    --plugin-dir "$ex" --from x-mbox --to 8.1 >"$TMP/ex-plan.out" 2>&1
contains "$TMP/ex-plan.out" "Hop 1: x-mbox -> ms-8.1" "the example's hop appears in plan"
finish
