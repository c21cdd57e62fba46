/*
 * NAME
 *	uc-convert.h - legacy configuration <-> Unified Configuration (configtoxml)
 * SUMMARY
 *	The 7.0 -> 7.0.5 optional conversion of a legacy Messaging Server
 *	configuration (msg.conf, option.dat, <channel>_option, imta.cnf,
 *	mappings, job_controller.cnf, dispatcher.cnf, ...) into the project's
 *	model of Unified Configuration: config.xml + restricted.cnf, plus the
 *	files Unified Configuration keeps as separate files. The mapping is
 *	documented in docs/uc-conversion.md and docs/formats/conf-config-xml.md.
 *	from_legacy followed by to_legacy gives back every setting (every entry
 *	of every file, with its section, key, value and order); comments and
 *	layout are not settings: the byte-exact legacy files are what
 *	`msmigrate config toxml` saves in config/legacy-config/.
 * OWNERSHIP
 *	files: a GPtrArray of MsmConfigFile* keyed by relpath as the
 *	config-files codec yields them ("msg.conf", "imta.cnf", "tcp_local_option"),
 *	(transfer none). The result is a new GPtrArray of new MsmConfigFile*
 *	with its free function set to msm_config_file_free (transfer full).
 * ERRORS
 *	NULL and a GError in MSM_ERROR: MSM_ERROR_PARSE for a file that does not
 *	parse, MSM_ERROR_INVALID_ARGUMENT naming "file:line" (legacy side) or
 *	"config.xml:line" (UC side) and the reason for a setting the other side
 *	cannot represent (for example a value with a line end, an option of
 *	config.xml outside the model, two legacy files that claim one name).
 */
#ifndef MSMIGRATE_UC_CONVERT_H
#define MSMIGRATE_UC_CONVERT_H

#include <glib.h>

G_BEGIN_DECLS

/* Legacy files -> config.xml + restricted.cnf + the files kept separate.
 * (transfer full; free func set) */
GPtrArray *msm_uc_from_legacy(GPtrArray *files, GError **error);

/* config.xml + restricted.cnf (+ the files kept separate) -> the legacy files.
 * (transfer full; free func set) */
GPtrArray *msm_uc_to_legacy(GPtrArray *files, GError **error);

/* TRUE if relpath (a base name as the codec yields it) is a legacy file the
 * conversion absorbs into config.xml/restricted.cnf (and that toxml moves to
 * config/legacy-config/). */
gboolean msm_uc_is_absorbed(const char *relpath);

G_END_DECLS

#endif
