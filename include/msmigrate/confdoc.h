/*
 * NAME
 *	confdoc.h - lossless configuration documents
 * SUMMARY
 *	A configuration file is parsed into an ordered list of nodes. Each node
 *	keeps the exact bytes it came from (continuation lines, comments, blank
 *	lines, a missing final newline, CR LF endings), so serialising an
 *	unchanged document gives the original file byte for byte. Entries carry
 *	an identity (section, key) and a value, which the merge engine compares
 *	and changes; a changed or added entry is rendered by its format, and
 *	nothing else moves. Syntax a format does not understand is kept verbatim
 *	as a VERBATIM node with a warning naming the file and line: never dropped.
 *	Each format is documented in docs/formats/conf-<name>.md.
 * OWNERSHIP
 *	Documents are created by msm_confdoc_parse()/msm_confdoc_new() and freed
 *	with msm_confdoc_free(). Nodes and their strings are owned by the
 *	document: (transfer none) everywhere unless said otherwise.
 * ERRORS
 *	GError in MSM_ERROR: MSM_ERROR_PARSE naming "file:line" for input no
 *	format could carry even verbatim (a NUL byte in a text format), and
 *	MSM_ERROR_INVALID_ARGUMENT for changes a format cannot express.
 */
#ifndef MSMIGRATE_CONFDOC_H
#define MSMIGRATE_CONFDOC_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    MSM_CONF_BLANK = 0,  /* an empty or white-space-only line */
    MSM_CONF_COMMENT,    /* a comment line ("!" or "#" by format) */
    MSM_CONF_ENTRY,      /* one entity: an option, a rule, a channel block, an alias ... */
    MSM_CONF_SECTION,    /* a section header ("[CHANNEL=tcp_local]", a mapping table name) */
    MSM_CONF_INCLUDE,    /* a reference to another file ("<file", "include file") */
    MSM_CONF_VERBATIM,   /* syntax the format does not understand, kept as it is */
} MsmConfNodeType;

typedef struct {
    MsmConfNodeType type;
    GString *raw;    /* the exact bytes, with every physical line and its line end */
    guint line;      /* first physical line, 1-based */
    guint nlines;    /* physical lines covered */
    /* section and key are a node's identity: the document indexes them, so never
     * change them in place on a node that is in a document (remove the entity and
     * set it again). value, raw bytes and line numbers may be changed. */
    char *section;   /* identity of the enclosing section; "" at the top level */
    char *key;       /* ENTRY: entity name within the section; SECTION: the section
                      * identity; INCLUDE: the file referred to; else NULL */
    char *value;     /* ENTRY: the logical value (continuations joined, quotes and
                      * escapes removed, as the format's page says); else NULL */
    gboolean dirty;  /* changed since parsing: serialised through the format */
} MsmConfNode;

typedef struct MsmConfDoc MsmConfDoc;

/* A file format. A format module defines one const MsmConfFormat. */
typedef struct {
    const char *name;         /* "configutil", "imta.cnf", "option.dat", ... */
    const char *description;  /* one line */
    const char *const *files; /* NULL-terminated base-name patterns (g_pattern_match_simple):
                               * "imta.cnf", "*_option" */
    gboolean keys_case_insensitive; /* option names compare without case */
    /* Parses text into doc (msm_confdoc_add_node for every node, in order, covering
     * every byte exactly once). */
    gboolean (*parse)(MsmConfDoc *doc, const char *text, gsize len, GError **error);
    /* Renders one entry in the format's syntax, ending with a newline. (transfer full) */
    char *(*render_entry)(const MsmConfDoc *doc, const char *section, const char *key,
                          const char *value);
    /* Renders the header of a new section; NULL when the format has no sections.
     * (transfer full) */
    char *(*render_section)(const MsmConfDoc *doc, const char *section);
    gpointer spare[4];
} MsmConfFormat;

/* ---- formats ---- */

/* All formats msmigrate knows, NULL-terminated. (transfer none, static) */
const MsmConfFormat *const *msm_conf_formats(void);
/* The format called name, or NULL. */
const MsmConfFormat *msm_conf_format_find(const char *name);
/* The format of a file from its base name ("config/imta.cnf" -> imta.cnf), or NULL. */
const MsmConfFormat *msm_conf_format_for_file(const char *relpath);

/* ---- documents ---- */

/* Parses data (len bytes) as fmt. name is used in messages ("imta.cnf"). (transfer full) */
MsmConfDoc *msm_confdoc_parse(const MsmConfFormat *fmt, const char *name, const char *data,
                              gsize len, GError **error);
/* An empty document of fmt. (transfer full) */
MsmConfDoc *msm_confdoc_new(const MsmConfFormat *fmt, const char *name);
void msm_confdoc_free(MsmConfDoc *doc);
const MsmConfFormat *msm_confdoc_format(const MsmConfDoc *doc);
const char *msm_confdoc_name(const MsmConfDoc *doc);
/* The document's bytes: the original ones for every unchanged node. (transfer full) */
GBytes *msm_confdoc_serialize(const MsmConfDoc *doc);

guint msm_confdoc_n_nodes(const MsmConfDoc *doc);
MsmConfNode *msm_confdoc_node(const MsmConfDoc *doc, guint i);
/* The first ENTRY with this identity, or NULL. */
MsmConfNode *msm_confdoc_find(const MsmConfDoc *doc, const char *section, const char *key);
/* Every ENTRY in document order. (transfer container) */
GPtrArray *msm_confdoc_entries(const MsmConfDoc *doc);
/* Sets an entry's value: changes the existing entry in place, or appends a new one
 * at the end of its section (creating the section at the end of the document when
 * the format has sections). */
gboolean msm_confdoc_set(MsmConfDoc *doc, const char *section, const char *key,
                         const char *value, GError **error);
/* Removes the entry (and only it). FALSE if there was none. */
gboolean msm_confdoc_remove(MsmConfDoc *doc, const char *section, const char *key);
/* "file:line: message" for each construct kept verbatim. (transfer none: char*) */
GPtrArray *msm_confdoc_warnings(const MsmConfDoc *doc);

/* ---- for format modules ---- */

/* Appends a node covering raw[0..len) (physical lines line .. line+nlines-1).
 * section/key/value are copied (NULL allowed). Returns the node. */
MsmConfNode *msm_confdoc_add_node(MsmConfDoc *doc, MsmConfNodeType type, const char *raw,
                                  gsize len, guint line, guint nlines, const char *section,
                                  const char *key, const char *value);
/* Records a warning "name:line: message". */
void msm_confdoc_warn(MsmConfDoc *doc, guint line, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* One physical line of a text: [start, start+len) including its line end. */
typedef struct {
    const char *start;
    gsize len;      /* with the line end */
    gsize text_len; /* without "\n" / "\r\n" */
} MsmConfLine;

/* Splits text into physical lines; the last one may lack a line end.
 * (transfer full: g_array_unref) */
GArray *msm_conf_split_lines(const char *text, gsize len);

G_END_DECLS

#endif
