# tests/local.mk - unit tests (CUnit), fixture plugins, integration scripts

# Every test is bounded in time, so a hang fails the suite instead of stalling CI.
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = timeout 600 $(SHELL)
LOG_COMPILER = timeout 300
AM_TESTS_ENVIRONMENT = \
	MSM_TOP_BUILDDIR='$(abs_top_builddir)'; export MSM_TOP_BUILDDIR; \
	MSM_TOP_SRCDIR='$(abs_top_srcdir)'; export MSM_TOP_SRCDIR; \
	MSMIGRATE='$(abs_top_builddir)/core/msmigrate'; export MSMIGRATE; \
	FX_CHAIN_DIR='$(abs_top_builddir)/tests/plugins/chain'; export FX_CHAIN_DIR; \
	FX_BROKEN_DIR='$(abs_top_builddir)/tests/plugins/broken'; export FX_BROKEN_DIR; \
	FX_EXTRA_DIR='$(abs_top_builddir)/tests/plugins/extra'; export FX_EXTRA_DIR; \
	MSMIGRATE_PLUGIN_PATH=; export MSMIGRATE_PLUGIN_PATH;

# ---- fixture plugins: test only, never installed (-rpath /nowhere) ----
FX_CFLAGS = $(AM_CFLAGS) $(MSM_PLUGIN_CFLAGS)
FX_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -no-undefined -rpath /nowhere
FX_LIBADD = core/libmsmigrate.la $(GLIB_LIBS)

check_LTLIBRARIES += \
	tests/plugins/chain/fx-sims40.la tests/plugins/chain/fx-nms3x.la \
	tests/plugins/chain/fx-nms4x.la tests/plugins/chain/fx-ims52.la \
	tests/plugins/chain/fx-ms60.la tests/plugins/chain/fx-ms62.la \
	tests/plugins/chain/fx-ms63to70.la tests/plugins/chain/fx-ms7x8x.la \
	tests/plugins/broken/fx-nosym.la tests/plugins/broken/fx-badabi.la \
	tests/plugins/broken/fx-nolicense.la tests/plugins/broken/fx-initfail.la \
	tests/plugins/broken/fx-dupa.la tests/plugins/broken/fx-dupb.la \
	tests/plugins/broken/fx-direct.la \
	tests/plugins/extra/fx-pending.la

tests_plugins_chain_fx_sims40_la_SOURCES = tests/plugins/fx-hops.c
tests_plugins_chain_fx_sims40_la_CPPFLAGS = $(AM_CPPFLAGS) -DFX_SET=1 -DFX_IDENT=fx_sims40 -DFX_NAME='"fx-sims40"'
tests_plugins_chain_fx_sims40_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_chain_fx_sims40_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_chain_fx_sims40_la_LIBADD = $(FX_LIBADD)
tests_plugins_chain_fx_nms3x_la_SOURCES = tests/plugins/fx-hops.c
tests_plugins_chain_fx_nms3x_la_CPPFLAGS = $(AM_CPPFLAGS) -DFX_SET=2 -DFX_IDENT=fx_nms3x -DFX_NAME='"fx-nms3x"'
tests_plugins_chain_fx_nms3x_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_chain_fx_nms3x_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_chain_fx_nms3x_la_LIBADD = $(FX_LIBADD)
tests_plugins_chain_fx_nms4x_la_SOURCES = tests/plugins/fx-hops.c
tests_plugins_chain_fx_nms4x_la_CPPFLAGS = $(AM_CPPFLAGS) -DFX_SET=3 -DFX_IDENT=fx_nms4x -DFX_NAME='"fx-nms4x"'
tests_plugins_chain_fx_nms4x_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_chain_fx_nms4x_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_chain_fx_nms4x_la_LIBADD = $(FX_LIBADD)
tests_plugins_chain_fx_ims52_la_SOURCES = tests/plugins/fx-hops.c
tests_plugins_chain_fx_ims52_la_CPPFLAGS = $(AM_CPPFLAGS) -DFX_SET=4 -DFX_IDENT=fx_ims52 -DFX_NAME='"fx-ims52"'
tests_plugins_chain_fx_ims52_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_chain_fx_ims52_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_chain_fx_ims52_la_LIBADD = $(FX_LIBADD)
tests_plugins_chain_fx_ms60_la_SOURCES = tests/plugins/fx-hops.c
tests_plugins_chain_fx_ms60_la_CPPFLAGS = $(AM_CPPFLAGS) -DFX_SET=5 -DFX_IDENT=fx_ms60 -DFX_NAME='"fx-ms60"'
tests_plugins_chain_fx_ms60_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_chain_fx_ms60_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_chain_fx_ms60_la_LIBADD = $(FX_LIBADD)
tests_plugins_chain_fx_ms62_la_SOURCES = tests/plugins/fx-hops.c
tests_plugins_chain_fx_ms62_la_CPPFLAGS = $(AM_CPPFLAGS) -DFX_SET=6 -DFX_IDENT=fx_ms62 -DFX_NAME='"fx-ms62"'
tests_plugins_chain_fx_ms62_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_chain_fx_ms62_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_chain_fx_ms62_la_LIBADD = $(FX_LIBADD)
tests_plugins_chain_fx_ms63to70_la_SOURCES = tests/plugins/fx-hops.c
tests_plugins_chain_fx_ms63to70_la_CPPFLAGS = $(AM_CPPFLAGS) -DFX_SET=7 -DFX_IDENT=fx_ms63to70 -DFX_NAME='"fx-ms63to70"'
tests_plugins_chain_fx_ms63to70_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_chain_fx_ms63to70_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_chain_fx_ms63to70_la_LIBADD = $(FX_LIBADD)
tests_plugins_chain_fx_ms7x8x_la_SOURCES = tests/plugins/fx-hops.c
tests_plugins_chain_fx_ms7x8x_la_CPPFLAGS = $(AM_CPPFLAGS) -DFX_SET=8 -DFX_IDENT=fx_ms7x8x -DFX_NAME='"fx-ms7x8x"'
tests_plugins_chain_fx_ms7x8x_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_chain_fx_ms7x8x_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_chain_fx_ms7x8x_la_LIBADD = $(FX_LIBADD)

tests_plugins_broken_fx_nosym_la_SOURCES = tests/plugins/fx-broken.c
tests_plugins_broken_fx_nosym_la_CPPFLAGS = $(AM_CPPFLAGS) -DFX_BROKEN=nosym
tests_plugins_broken_fx_nosym_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_broken_fx_nosym_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_broken_fx_nosym_la_LIBADD = $(FX_LIBADD)
tests_plugins_broken_fx_badabi_la_SOURCES = tests/plugins/fx-broken.c
tests_plugins_broken_fx_badabi_la_CPPFLAGS = $(AM_CPPFLAGS) -DFX_BROKEN=badabi
tests_plugins_broken_fx_badabi_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_broken_fx_badabi_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_broken_fx_badabi_la_LIBADD = $(FX_LIBADD)
tests_plugins_broken_fx_nolicense_la_SOURCES = tests/plugins/fx-broken.c
tests_plugins_broken_fx_nolicense_la_CPPFLAGS = $(AM_CPPFLAGS) -DFX_BROKEN=nolicense
tests_plugins_broken_fx_nolicense_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_broken_fx_nolicense_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_broken_fx_nolicense_la_LIBADD = $(FX_LIBADD)
tests_plugins_broken_fx_initfail_la_SOURCES = tests/plugins/fx-broken.c
tests_plugins_broken_fx_initfail_la_CPPFLAGS = $(AM_CPPFLAGS) -DFX_BROKEN=initfail
tests_plugins_broken_fx_initfail_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_broken_fx_initfail_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_broken_fx_initfail_la_LIBADD = $(FX_LIBADD)
tests_plugins_broken_fx_dupa_la_SOURCES = tests/plugins/fx-broken.c
tests_plugins_broken_fx_dupa_la_CPPFLAGS = $(AM_CPPFLAGS) -DFX_BROKEN=dupa
tests_plugins_broken_fx_dupa_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_broken_fx_dupa_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_broken_fx_dupa_la_LIBADD = $(FX_LIBADD)
tests_plugins_broken_fx_dupb_la_SOURCES = tests/plugins/fx-broken.c
tests_plugins_broken_fx_dupb_la_CPPFLAGS = $(AM_CPPFLAGS) -DFX_BROKEN=dupb
tests_plugins_broken_fx_dupb_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_broken_fx_dupb_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_broken_fx_dupb_la_LIBADD = $(FX_LIBADD)
tests_plugins_broken_fx_direct_la_SOURCES = tests/plugins/fx-broken.c
tests_plugins_broken_fx_direct_la_CPPFLAGS = $(AM_CPPFLAGS) -DFX_BROKEN=direct
tests_plugins_broken_fx_direct_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_broken_fx_direct_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_broken_fx_direct_la_LIBADD = $(FX_LIBADD)

tests_plugins_extra_fx_pending_la_SOURCES = tests/plugins/fx-pending.c
tests_plugins_extra_fx_pending_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_extra_fx_pending_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_extra_fx_pending_la_LIBADD = $(FX_LIBADD)

# ---- unit tests (CUnit) ----
UNIT_TESTS = \
	tests/unit/test-json tests/unit/test-digest tests/unit/test-profile \
	tests/unit/test-loader tests/unit/test-planner tests/unit/test-engine \
	tests/unit/test-journal tests/unit/test-lock tests/unit/test-history \
	tests/unit/test-versions tests/unit/test-detect tests/unit/test-check \
	tests/unit/test-config-codec tests/unit/test-queue-pmdf \
	tests/unit/test-ir tests/unit/test-mutf7 tests/unit/test-ldif tests/unit/test-sample \
	tests/unit/test-confdoc tests/unit/test-conf-keyvalue tests/unit/test-conf-mta \
	tests/unit/test-conf-other tests/unit/test-merge tests/unit/test-merge-table

if HAVE_CUNIT
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
endif
UNIT_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
UNIT_LDADD = core/libmsmigrate.la $(GLIB_LIBS) $(CUNIT_LIBS) $(BDB_LIBS)
noinst_HEADERS += tests/unit/testutil.h

tests_unit_test_json_SOURCES = tests/unit/test-json.c
tests_unit_test_json_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_json_LDADD = $(UNIT_LDADD)
tests_unit_test_digest_SOURCES = tests/unit/test-digest.c
tests_unit_test_digest_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_digest_LDADD = $(UNIT_LDADD)
tests_unit_test_profile_SOURCES = tests/unit/test-profile.c
tests_unit_test_profile_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_profile_LDADD = $(UNIT_LDADD)
tests_unit_test_loader_SOURCES = tests/unit/test-loader.c
tests_unit_test_loader_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_loader_LDADD = $(UNIT_LDADD)
tests_unit_test_planner_SOURCES = tests/unit/test-planner.c
tests_unit_test_planner_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_planner_LDADD = $(UNIT_LDADD)
tests_unit_test_engine_SOURCES = tests/unit/test-engine.c
tests_unit_test_engine_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_engine_LDADD = $(UNIT_LDADD)
tests_unit_test_journal_SOURCES = tests/unit/test-journal.c
tests_unit_test_journal_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_journal_LDADD = $(UNIT_LDADD)
tests_unit_test_lock_SOURCES = tests/unit/test-lock.c
tests_unit_test_lock_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_lock_LDADD = $(UNIT_LDADD)
tests_unit_test_history_SOURCES = tests/unit/test-history.c
tests_unit_test_history_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_history_LDADD = $(UNIT_LDADD)
tests_unit_test_versions_SOURCES = tests/unit/test-versions.c
tests_unit_test_versions_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_versions_LDADD = $(UNIT_LDADD)
tests_unit_test_detect_SOURCES = tests/unit/test-detect.c
tests_unit_test_detect_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_detect_LDADD = $(UNIT_LDADD)
tests_unit_test_check_SOURCES = tests/unit/test-check.c
tests_unit_test_check_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_check_LDADD = $(UNIT_LDADD)
tests_unit_test_config_codec_SOURCES = tests/unit/test-config-codec.c
tests_unit_test_config_codec_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_config_codec_LDADD = $(UNIT_LDADD)
tests_unit_test_queue_pmdf_SOURCES = tests/unit/test-queue-pmdf.c
tests_unit_test_queue_pmdf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_queue_pmdf_LDADD = $(UNIT_LDADD)
tests_unit_test_ir_SOURCES = tests/unit/test-ir.c
tests_unit_test_ir_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ir_LDADD = $(UNIT_LDADD)
tests_unit_test_mutf7_SOURCES = tests/unit/test-mutf7.c
tests_unit_test_mutf7_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_mutf7_LDADD = $(UNIT_LDADD)
tests_unit_test_ldif_SOURCES = tests/unit/test-ldif.c
tests_unit_test_ldif_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ldif_LDADD = $(UNIT_LDADD)
tests_unit_test_sample_SOURCES = tests/unit/test-sample.c
tests_unit_test_sample_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sample_LDADD = $(UNIT_LDADD)

tests_unit_test_confdoc_SOURCES = tests/unit/test-confdoc.c
tests_unit_test_confdoc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_confdoc_LDADD = $(UNIT_LDADD)
tests_unit_test_conf_keyvalue_SOURCES = tests/unit/test-conf-keyvalue.c
tests_unit_test_conf_keyvalue_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_conf_keyvalue_LDADD = $(UNIT_LDADD)
tests_unit_test_conf_mta_SOURCES = tests/unit/test-conf-mta.c
tests_unit_test_conf_mta_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_conf_mta_LDADD = $(UNIT_LDADD)
tests_unit_test_conf_other_SOURCES = tests/unit/test-conf-other.c
tests_unit_test_conf_other_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_conf_other_LDADD = $(UNIT_LDADD)
tests_unit_test_merge_SOURCES = tests/unit/test-merge.c
tests_unit_test_merge_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_merge_LDADD = $(UNIT_LDADD)
tests_unit_test_merge_table_SOURCES = tests/unit/test-merge-table.c
tests_unit_test_merge_table_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_merge_table_LDADD = $(UNIT_LDADD)

# ---- integration: the CLI end to end, the m4 macro ----
INTEGRATION_TESTS = \
	tests/integration/cli-plugins.sh \
	tests/integration/cli-plan.sh \
	tests/integration/cli-run.sh \
	tests/integration/cli-resume-kill.sh \
	tests/integration/cli-config.sh \
	tests/integration/cli-queue.sh \
	tests/integration/m4-plugin-macro.sh \
	tests/integration/packaging-deb.sh \
	tests/integration/packaging-rpm.sh \
	tests/integration/zfs-guard.sh
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/lib.sh tests/plugins/fx-hops.c \
	tests/plugins/fx-broken.c tests/plugins/fx-pending.c

# For .ci/run: the unit test programs, to run them alone under the sanitizers.
print-unit-tests:
	@echo $(UNIT_TESTS)
.PHONY: print-unit-tests
EXTRA_DIST += tests/demo.sh tests/fuzz/run.sh tests/fuzz/fuzz-pmdf-queue.c tests/fuzz/fuzz-confdoc.c tests/fuzz/README.md

# ---- test tools (never installed) ----
check_PROGRAMS += tests/tools/msm-deliver
tests_tools_msm_deliver_SOURCES = tests/tools/msm-deliver.c
tests_tools_msm_deliver_CFLAGS = $(AM_CFLAGS)
tests_tools_msm_deliver_LDADD = core/libmsmigrate.la $(GLIB_LIBS)
