/*
 * NAME
 *	builtin.h - the codecs core itself provides (not part of the SDK)
 * SUMMARY
 *	Formats shared by many versions live in core (DESIGN §5); the registry
 *	registers these codecs next to the ones plugins bring.
 */
#ifndef MSM_CORE_BUILTIN_H
#define MSM_CORE_BUILTIN_H

#include <msmigrate/msmigrate.h>

/* The byte-exact configuration codec of every canonical version: kind
 * MSM_KIND_CONFIG, name "config-files" (docs/formats/config-files.md).
 * (transfer none: static) */
const MsmCodec *msm_core_config_files_codec(void);

/* Where the config-files writer puts a configuration item's relpath
 * (docs/formats/config-files.md "Where it writes", step 3): the layout's MTA
 * configuration directory for an MTA file name, else its configuration
 * directory. (transfer none: owned by layout) */
const char *msm_core_config_file_dir(const MsmLayout *layout, const char *relpath);

/* The PMDF-lineage MTA queue codec (SIMS 4.0, iMS 5.2, MS 6.0 - 8.1): kind
 * MSM_KIND_QUEUE, name "pmdf-queue" (docs/formats/queue-pmdf.md). Attempt
 * prefix helpers are in pmdf.h. (transfer none: static) */
const MsmCodec *msm_core_pmdf_queue_codec(void);

/* The NMS 4.x MTA queue codec (nms-4.0, nms-4.1; a model): kind MSM_KIND_QUEUE,
 * name "nms4-queue" (docs/formats/queue-nms4.md). (transfer none: static) */
const MsmCodec *msm_core_nms4_queue_codec(void);
/* The queue directory of an NMS 3.x/4.x deployment: nsmsg.conf's nsmsg.queue
 * mapped onto root, else the layout's (docs/formats/queue-nms4.md). NULL +
 * error when the layout cannot be resolved. (transfer full) */
char *msm_core_nms_queue_dir(const char *root, const char *version, const char *instance,
                             GError **error);
/* The entries of a queue directory (channel or message names), sorted, without the
 * '$' temporaries of a writer: what both NMS queue codecs list. (transfer full) NULL
 * with MSM_ERROR_IO naming dir. */
GPtrArray *msm_core_queue_list_names(const char *dir, GError **error);

/* The Maildir++ interchange store (Dovecot 2.3 layout, DESIGN §5): kind
 * MSM_KIND_STORE, name "maildir", pseudo-version "maildir" (not a product
 * version; docs/formats/maildir.md). (transfer none: static) */
const MsmCodec *msm_core_maildir_codec(void);

/* The NMS 4.x store (nms-4.0, nms-4.1): kind MSM_KIND_STORE, name
 * "nms4-store" (docs/formats/store-nms4.md). (transfer none: static) */
const MsmCodec *msm_core_nms4_store_codec(void);

/* The classic message store (iMS 5.2 ... MS 8.1, three generations): kind
 * MSM_KIND_STORE, name "classic-store" (docs/formats/store-classic.md).
 * Naming helpers are in codec-classic-store.h. (transfer none: static) */
const MsmCodec *msm_core_classic_store_codec(void);

/* The directory of every canonical version for `msmigrate run`: kind
 * MSM_KIND_DIRECTORY, name "directory", offline (<root>/ldap/directory.ldif) or
 * online (profile [directory] uri) (docs/formats/directory-run.md).
 * (transfer none: static) */
const MsmCodec *msm_core_directory_codec(void);

#endif
