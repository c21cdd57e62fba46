#!/bin/sh
# packaging-rpm.sh - the RPM split (issue 8): `rpmbuild -bb` from a `make dist`
# tarball gives the core, the -devel SDK and one RPM per plugin. Debian's rpm
# package is enough; BuildRequires name Fedora's packages, hence --nodeps.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"
src=$MSM_TOP_SRCDIR
mkdir -p "$TMP/src" "$TMP/dist" "$TMP/rpm/SOURCES"
(cd "$src" && tar --exclude='./_build*' --exclude=./.git --exclude=./autom4te.cache -cf - .) |
    (cd "$TMP/src" && tar -xf -)
if (cd "$TMP/dist" && "$TMP/src/configure" >configure.out 2>&1 && make dist >dist.out 2>&1); then
    ok "make dist makes the release tarball"
else
    not_ok "make dist makes the release tarball"; tail -20 "$TMP/dist/dist.out"; finish
fi
tarball=$(ls "$TMP"/dist/msmigrate-*.tar.gz)
cp "$tarball" "$TMP/rpm/SOURCES/"
tar -xzf "$tarball" -C "$TMP" --wildcards '*/packaging/rpm/msmigrate.spec'
spec=$(ls "$TMP"/msmigrate-*/packaging/rpm/msmigrate.spec)
check "the tarball carries the generated spec" test -f "$spec"
if rpmbuild -bb --nodeps --define "_topdir $TMP/rpm" --define "_smp_mflags -j$(nproc)" \
        "$spec" >"$TMP/rpmbuild.log" 2>&1; then
    ok "rpmbuild -bb builds from the make dist tarball"
else
    not_ok "rpmbuild -bb builds from the make dist tarball"; tail -40 "$TMP/rpmbuild.log"; finish
fi
find "$TMP/rpm/RPMS" -name '*.rpm' >"$TMP/rpms"
for p in $(sed -n 's/^Package: \(msmigrate-plugin-.*\)/\1/p' "$src/packaging/debian/control"); do
    n=$(grep -c "/$p-[0-9]" "$TMP/rpms")
    check "one RPM for $p" test "$n" -eq 1
done
check "an RPM for the core" grep -q '/msmigrate-[0-9]' "$TMP/rpms"
check "an RPM for the SDK" grep -q '/msmigrate-devel-[0-9]' "$TMP/rpms"
rpm=$(grep '/msmigrate-plugin-ims52-[0-9]' "$TMP/rpms")
rpm -qp --requires "$rpm" >"$TMP/requires" 2>/dev/null
contains "$TMP/requires" "msmigrate-abi = " "the plugin RPM requires the core's plugin ABI"
rpm -qpl "$rpm" >"$TMP/files" 2>/dev/null
contains "$TMP/files" "/msmigrate/plugins/ims52.so" "the ims52 RPM holds ims52.so"
finish
