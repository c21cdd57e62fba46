/*
 * NAME
 *	preconditions.h - the seeds' preconditions, shared by the hop plugins
 * SUMMARY
 *	One MsmPrecondition initialiser per precondition the seeds state
 *	(P_QUEUES, P_STOPPED, P_TARGET, P_SEPARATE, P_ONE_INSTANCE,
 *	P_DIRECT_LDAP, P_NOT_APPLIED, P_STORED_R) and the arrays of them each
 *	family of hops uses (pre_sims, pre_nms, pre_52, pre_6x, pre_7x). The
 *	real adapters (plugins/<name>/<name>.c) and the test fixtures
 *	(tests/plugins/fx-hops.c) both include this header, so the seeds'
 *	wording lives in one place.
 * OWNERSHIP
 *	Everything is static const data (transfer none); the check functions
 *	are the host's (include/msmigrate/check.h).
 * ERRORS
 *	None here: each check reports through its MsmCheckFunc contract.
 */
#ifndef MSM_PLUGINS_PRECONDITIONS_H
#define MSM_PLUGINS_PRECONDITIONS_H

#include <msmigrate/msmigrate.h>

/* ---- the seeds' preconditions ---- */

#define P_QUEUES                                                                                   \
    {                                                                                              \
        .id = "queues-empty",                                                                      \
        .text = "All messages in the MTA queues are processed and the queues are empty",           \
        .source = "seed 003, step 3 of every SIMS and NMS scenario",                               \
        .override = "the queue migrator converts queued messages instead",                         \
        .check = msm_check_queues_empty                                                            \
    }
#define P_STOPPED                                                                                  \
    {                                                                                              \
        .id = "source-stopped",                                                                    \
        .text = "Every server process of the source is stopped (not the directory server)",        \
        .source = "seed 003 step 4; seed 001 'Stop all running Messaging Server components'",      \
        .check = msm_check_source_stopped                                                          \
    }
#define P_TARGET                                                                                   \
    {                                                                                              \
        .id = "target-installed",                                                                  \
        .text = "The destination version is installed and configured at the target first",         \
        .source = "seed 000: 'you cannot upgrade ... without first installing and configuring'",   \
        .check = msm_check_target_installed                                                        \
    }
#define P_SEPARATE                                                                                 \
    {                                                                                              \
        .id = "separate-target",                                                                   \
        .text = "The target is a different system (root) from the source",                         \
        .source = "seed 000: installed and configured on a different system",                      \
        .check = msm_check_separate_target                                                         \
    }
#define P_ONE_INSTANCE                                                                             \
    {                                                                                              \
        .id = "single-instance",                                                                   \
        .text = "Only one 5.2 instance is upgraded; choose it with --instance",                    \
        .source = "seed 000: Messaging Server 6 does not support multiple instances",              \
        .check = msm_check_single_instance                                                         \
    }
#define P_DIRECT_LDAP                                                                              \
    {                                                                                              \
        .id = "direct-ldap", .text = "The 5.2 MTA uses direct LDAP lookup, not imsimta dirsync",   \
        .source = "seed 000: configured with MTA Direct LDAP Lookup not with imsimta dirsync"      \
    }
#define P_NOT_APPLIED                                                                              \
    {                                                                                              \
        .id = "not-applied", .text = "This hop has not been applied to the target already",        \
        .source = "seed 000: running the upgrade utility more than once will overwrite your "      \
                  "configuration",                                                                 \
        .override = NULL, .check = msm_check_not_applied                                           \
    }
#define P_STORED_R                                                                                 \
    {                                                                                              \
        .id = "clean-shutdown", .text = "The store had a clean shutdown and recovery (stored -r)", \
        .source = "seed 004: 'make sure you have a clean shutdown and recovery by running the "    \
                  "stored -r command'"                                                             \
    }
#define P_END                                                                                      \
    {                                                                                              \
        .id = NULL                                                                                 \
    }

G_GNUC_UNUSED static const MsmPrecondition pre_sims[] = {P_QUEUES, P_STOPPED, P_TARGET, P_SEPARATE,
                                                         P_END};
G_GNUC_UNUSED static const MsmPrecondition pre_nms[] = {P_QUEUES, P_STOPPED, P_TARGET, P_END};
G_GNUC_UNUSED static const MsmPrecondition pre_52[] = {P_TARGET,      P_SEPARATE,    P_ONE_INSTANCE,
                                                       P_DIRECT_LDAP, P_NOT_APPLIED, P_END};
G_GNUC_UNUSED static const MsmPrecondition pre_6x[] = {P_STOPPED, P_NOT_APPLIED, P_END};
G_GNUC_UNUSED static const MsmPrecondition pre_7x[] = {P_STOPPED, P_STORED_R, P_NOT_APPLIED, P_END};

#endif
