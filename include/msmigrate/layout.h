/*
 * NAME
 *	layout.h - where a deployment of a given version keeps each kind of data
 * SUMMARY
 *	The rules are written in docs/formats/layout.md. A layout is resolved
 *	from a deployment root (a directory that stands for the host's "/", or
 *	a server root, or a msg_svr_base), a canonical version id and, for the
 *	versions with several instances per server root, an instance name.
 * OWNERSHIP
 *	msm_layout_resolve() returns a new layout (transfer full, free with
 *	msm_layout_free()); the path getters return strings owned by it.
 */
#ifndef MSMIGRATE_LAYOUT_H
#define MSMIGRATE_LAYOUT_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct MsmLayout MsmLayout;

/* Resolves the layout of version at root. instance may be NULL where the root
 * holds exactly one instance; with several, NULL fails with MSM_ERROR_AMBIGUOUS
 * listing them. Does not require the directories to exist (a target may be
 * empty): missing ones resolve to their default place. */
MsmLayout *msm_layout_resolve(const char *root, const char *version, const char *instance,
                              GError **error);
void msm_layout_free(MsmLayout *layout);

const char *msm_layout_version(const MsmLayout *layout);
/* Instance name ("tango" for msg-tango), or NULL where the version has none. */
const char *msm_layout_instance(const MsmLayout *layout);
/* The directory holding the server's own files: msg_svr_base, server-root/msg-<instance>,
 * or <root>/opt/SUNWmail for SIMS. */
const char *msm_layout_base_dir(const MsmLayout *layout);
/* Configuration files (for SIMS: etc/opt/SUNWmail). */
const char *msm_layout_config_dir(const MsmLayout *layout);
/* MTA configuration directory (imta.cnf and friends). */
const char *msm_layout_mta_config_dir(const MsmLayout *layout);
/* Message store root (store_root). */
const char *msm_layout_store_dir(const MsmLayout *layout);
/* The message store root of version at root: msm_layout_resolve() and
 * msm_layout_store_dir() in one call. NULL with *error as msm_layout_resolve().
 * (transfer full) */
char *msm_layout_resolve_store_dir(const char *root, const char *version, const char *instance,
                                   GError **error);
/* MTA queue root (one directory per channel below it). */
const char *msm_layout_queue_dir(const MsmLayout *layout);
/* Directory with the modelled pid files of running services (layout.md). */
const char *msm_layout_run_dir(const MsmLayout *layout);

G_END_DECLS

#endif
