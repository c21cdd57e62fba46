/*
 * NAME
 *	versions.c - canonical version ids, their order, names and aliases
 * SUMMARY
 *	Implements include/msmigrate/version.h over two tables kept as data:
 *	the versions in product order (id, display name, family) and the
 *	aliases a person types. docs/versions.md documents both tables and
 *	must be kept in step with them.
 * DESCRIPTION
 *	Typed text is matched after folding case and dropping spaces,
 *	underscores and hyphens ("iMS 5.2" = "ims5.2"). A miss is retried
 *	with a product prefix ("nms", "iplanet", "ms", ...) taken off, keeping
 *	only versions of that product, so "nms 4.0" is not ambiguous while
 *	"4.0" is (SIMS 4.0 or NMS 4.0). Numbers older than what the vendor's
 *	procedures start from are refused with the seeds' reason.
 * DIAGNOSTICS
 *	MSM_ERROR_AMBIGUOUS names the ids to type instead; MSM_ERROR_UNSUPPORTED
 *	quotes the seed that refuses the origin and says what to upgrade to
 *	first; MSM_ERROR_NOT_FOUND lists the canonical ids.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *id;
    const char *display;
    const char *family;
} VersionInfo;

/* Product order: the order of this table is msm_version_compare()'s order. */
static const VersionInfo versions[] = {
    {"sims-4.0", "Sun Internet Mail Server 4.0", "sims"},
    {"nms-3.x", "Netscape Messaging Server 3.x (3.01 or later)", "nms"},
    {"nms-4.0", "Netscape Messaging Server 4.0", "nms"},
    {"nms-4.1", "Netscape Messaging Server 4.1", "nms"},
    {"ims-5.2", "iPlanet Messaging Server 5.2", "ims"},
    {"ms-6.0", "Sun Java System Messaging Server 6.0 (6 2004Q2)", "ms"},
    {"ms-6.1", "Sun Java System Messaging Server 6.1", "ms"},
    {"ms-6.2", "Sun Java System Messaging Server 6.2", "ms"},
    {"ms-6.2p3", "Sun Java System Messaging Server 6.2 Patch 3 (2005Q4)", "ms"},
    {"ms-6.3", "Sun Java System Messaging Server 6.3", "ms"},
    {"ms-7.0", "Sun Java Communications Suite Messaging Server 7.0", "ms"},
    {"ms-7.0.5", "Oracle Communications Messaging Server 7 Update 5 (7.0.5)", "ms"},
    {"ms-8.0", "Oracle Communications Messaging Server 8.0", "ms"},
    {"ms-8.0.1", "Oracle Communications Messaging Server 8.0.1", "ms"},
    {"ms-8.0.2", "Oracle Communications Messaging Server 8.0.2", "ms"},
    {"ms-8.1", "Oracle Communications Messaging Server 8.1", "ms"},
};

#define N_VERSIONS G_N_ELEMENTS(versions)

static const char *const all_ids[N_VERSIONS + 1] = {
    "sims-4.0", "nms-3.x",  "nms-4.0",  "nms-4.1", "ims-5.2", "ms-6.0",
    "ms-6.1",   "ms-6.2",   "ms-6.2p3", "ms-6.3",  "ms-7.0",  "ms-7.0.5",
    "ms-8.0",   "ms-8.0.1", "ms-8.0.2", "ms-8.1",  NULL,
};

typedef struct {
    const char *alias; /* as a person types it; matched through fold() */
    const char *id;
} Alias;

/* The aliases of docs/versions.md. "4.0" is listed for both SIMS and NMS on
 * purpose: typed alone it is ambiguous. Canonical ids match themselves. */
static const Alias aliases[] = {
    {"sims4", "sims-4.0"},      {"sims 4", "sims-4.0"}, {"sims 4.0", "sims-4.0"},
    {"4.0", "sims-4.0"},        {"nms3", "nms-3.x"},    {"nms 3", "nms-3.x"},
    {"3.x", "nms-3.x"},         {"nms 3.x", "nms-3.x"}, {"3.01", "nms-3.x"},
    {"3.5", "nms-3.x"},         {"3.6", "nms-3.x"},     {"nms4.0", "nms-4.0"},
    {"nms 4.0", "nms-4.0"},     {"4.0", "nms-4.0"},     {"4.1", "nms-4.1"},
    {"nms 4.1", "nms-4.1"},     {"4.15", "nms-4.1"},    {"5.2", "ims-5.2"},
    {"52", "ims-5.2"},          {"ims52", "ims-5.2"},   {"iMS 5.2", "ims-5.2"},
    {"iplanet 5.2", "ims-5.2"}, {"6", "ms-6.0"},        {"6.0", "ms-6.0"},
    {"2004Q2", "ms-6.0"},       {"6.1", "ms-6.1"},      {"6.2", "ms-6.2"},
    {"6.2p3", "ms-6.2p3"},      {"6.2-3", "ms-6.2p3"},  {"6.2 patch 3", "ms-6.2p3"},
    {"2005Q4", "ms-6.2p3"},     {"6.3", "ms-6.3"},      {"7", "ms-7.0"},
    {"7.0", "ms-7.0"},          {"7u5", "ms-7.0.5"},    {"7.0.5", "ms-7.0.5"},
    {"7 update 5", "ms-7.0.5"}, {"8", "ms-8.0"},        {"8.0", "ms-8.0"},
    {"8.0.1", "ms-8.0.1"},      {"8.0.2", "ms-8.0.2"},  {"8.1", "ms-8.1"},
    {"8.1.0", "ms-8.1"},
};

typedef struct {
    const char *prefix;  /* folded */
    const char *family1; /* families the rest may resolve to */
    const char *family2; /* or NULL */
} Prefix;

/* Product prefixes, longest first so "netscapemessagingserver" wins over "netscape". */
static const Prefix prefixes[] = {
    {"netscapemessagingserver", "nms", NULL},
    {"iplanetmessagingserver", "ims", NULL},
    {"messagingserver", "ims", "ms"},
    {"netscape", "nms", NULL},
    {"iplanet", "ims", NULL},
    {"oracle", "ms", NULL},
    {"sims", "sims", NULL},
    {"ocms", "ms", NULL},
    {"nms", "nms", NULL},
    {"ims", "ims", NULL},
    {"ms", "ims", "ms"},
};

static const char nms_reason[] =
    "the vendor's procedures do not support upgrading from versions earlier than 3.01 "
    "(seed 002); upgrade to NMS 3.01 or later first";
static const char sims_reason[] =
    "the vendor's migration procedures start from SIMS 4.0 (seed 003); upgrade to SIMS 4.0 "
    "first";
static const char ims_reason[] =
    "the 5.2 -> 6 upgrade program cannot be used with Messaging Server versions older than "
    "5.2 (seed 000); upgrade to iPlanet Messaging Server 5.2 first";

/* Lowercases text and drops spaces, underscores and hyphens. (transfer full) */
static char *
fold(const char *text)
{
    GString *s = g_string_new(NULL);
    for (const char *p = text; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '_' || *p == '-')
            continue;
        g_string_append_c(s, g_ascii_tolower(*p));
    }
    return g_string_free(s, FALSE);
}

/* Index of a canonical id in the product order, or -1. */
static int
version_index(const char *id)
{
    if (id == NULL)
        return -1;
    for (guint i = 0; i < N_VERSIONS; i++)
        if (strcmp(versions[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* TRUE if family is one the prefix allows (any when pfx is NULL). */
static gboolean
family_allowed(const Prefix *pfx, const char *family)
{
    if (pfx == NULL)
        return TRUE;
    return strcmp(pfx->family1, family) == 0 ||
           (pfx->family2 != NULL && strcmp(pfx->family2, family) == 0);
}

/* Adds to hits (static ids, no duplicates) every version whose id or alias folds
 * to key and whose family pfx allows. */
static void
lookup(const char *key, const Prefix *pfx, GPtrArray *hits)
{
    for (guint i = 0; i < N_VERSIONS; i++) {
        char *f = fold(versions[i].id);
        if (strcmp(f, key) == 0 && family_allowed(pfx, versions[i].family))
            g_ptr_array_add(hits, (gpointer)versions[i].id);
        g_free(f);
    }
    for (guint i = 0; i < G_N_ELEMENTS(aliases); i++) {
        char *f = fold(aliases[i].alias);
        int vi = version_index(aliases[i].id);
        if (strcmp(f, key) == 0 && family_allowed(pfx, versions[vi].family) &&
            !g_ptr_array_find(hits, versions[vi].id, NULL))
            g_ptr_array_add(hits, (gpointer)versions[vi].id);
        g_free(f);
    }
}

/* Parses "N", "N.x", "N.M..." into major and the fraction M as a decimal
 * ("01" = 0.01). *minor_r is -1 for "N" and "N.x". FALSE if key is not a number. */
static gboolean
parse_number(const char *key, long *major_r, double *minor_r)
{
    const char *p = key;
    if (!g_ascii_isdigit(*p))
        return FALSE;
    char *end;
    long major = strtol(p, &end, 10);
    p = end;
    double minor = -1;
    if (*p == '.') {
        p++;
        if (*p == 'x' && p[1] == '\0') {
            p++;
        } else if (g_ascii_isdigit(*p)) {
            char *frac = g_strdup_printf("0.%.*s", (int)strspn(p, "0123456789"), p);
            minor = g_ascii_strtod(frac, NULL);
            g_free(frac);
            p += strspn(p, "0123456789");
            /* further components ("3.0.1") do not change the verdict */
            while (*p == '.' && g_ascii_isdigit(p[1]))
                p += 1 + strspn(p + 1, "0123456789");
        } else {
            return FALSE;
        }
    }
    if (*p == 'x' && p[1] == '\0')
        p++;
    if (*p != '\0')
        return FALSE;
    *major_r = major;
    *minor_r = minor;
    return TRUE;
}

/* The reason a typed number is older than what the vendor supports, or NULL. */
static const char *
unsupported_reason(const char *key, const Prefix *pfx)
{
    long major;
    double minor;
    if (!parse_number(key, &major, &minor))
        return NULL;
    const char *fam = pfx ? pfx->family1 : NULL;
    if (fam != NULL && strcmp(fam, "sims") == 0)
        return major < 4 ? sims_reason : NULL;
    if (fam == NULL || strcmp(fam, "nms") == 0) {
        if (major < 3 || (major == 3 && minor >= 0 && minor < 0.01))
            return nms_reason;
    }
    if (fam == NULL || strcmp(fam, "ims") == 0) {
        if (major == 5 && (minor < 0 ? fam != NULL : minor < 0.2))
            return ims_reason;
    }
    return NULL;
}

/* Joins the canonical ids with ", ". (transfer full) */
static char *
ids_list(void)
{
    return g_strjoinv(", ", (char **)all_ids);
}

/* Resolves typed text to a static canonical id (docs/versions.md "How typed text is matched"). */
const char *
msm_version_resolve(const char *text, GError **error)
{
    g_return_val_if_fail(text != NULL, NULL);
    {
        char *lower = g_ascii_strdown(text, -1);
        gboolean custom = msm_version_is_custom(lower);
        const char *interned = custom ? g_intern_string(lower) : NULL;
        g_free(lower);
        if (custom)
            return interned;
    }
    char *key = fold(text);
    GPtrArray *hits = g_ptr_array_new();
    const char *reason = NULL;
    const char *result = NULL;

    if (*key != '\0')
        lookup(key, NULL, hits);
    if (hits->len == 0 && *key != '\0') {
        reason = unsupported_reason(key, NULL);
        for (guint i = 0; i < G_N_ELEMENTS(prefixes) && reason == NULL && hits->len == 0; i++) {
            const char *pf = prefixes[i].prefix;
            if (!g_str_has_prefix(key, pf) || key[strlen(pf)] == '\0')
                continue;
            lookup(key + strlen(pf), &prefixes[i], hits);
            if (hits->len == 0)
                reason = unsupported_reason(key + strlen(pf), &prefixes[i]);
        }
    }
    if (hits->len == 1) {
        result = hits->pdata[0];
    } else if (hits->len > 1) {
        GString *s = g_string_new(NULL);
        for (guint i = 0; i < hits->len; i++) {
            const char *id = hits->pdata[i];
            g_string_append_printf(s, "%s%s (type %s)",
                                   i == 0 ? "" : (i + 1 == hits->len ? " or " : ", "),
                                   msm_version_display_name(id), id);
        }
        g_set_error(error, MSM_ERROR, MSM_ERROR_AMBIGUOUS,
                    "version \"%s\" is ambiguous: it may be %s", text, s->str);
        g_string_free(s, TRUE);
    } else if (reason != NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSUPPORTED, "version \"%s\" is not supported: %s",
                    text, reason);
    } else {
        char *ids = ids_list();
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "unknown version \"%s\": type one of %s (aliases such as 5.2, 6.2p3, 7u5 "
                    "or 8.1 work too; see docs/versions.md)",
                    text, ids);
        g_free(ids);
    }
    g_ptr_array_unref(hits);
    g_free(key);
    return result;
}

/* TRUE if id names a third-party version: "x-" then lowercase letters, digits,
 * '.', '-' or '_' (at most 64 characters in all). docs/versions.md "Versions of
 * third-party plugins". */
gboolean
msm_version_is_custom(const char *id)
{
    if (id == NULL || !g_str_has_prefix(id, "x-") || id[2] == '\0' || strlen(id) > 64)
        return FALSE;
    for (const char *p = id + 2; *p; p++)
        if (!(g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '.' || *p == '-' || *p == '_'))
            return FALSE;
    return TRUE;
}

/* TRUE if id is one of the canonical ids or a third-party id. */
gboolean
msm_version_is_known(const char *id)
{
    return version_index(id) >= 0 || msm_version_is_custom(id);
}

/* Orders ids by their place in the product table; unknown ids last. */
int
msm_version_compare(const char *a, const char *b)
{
    int ia = version_index(a), ib = version_index(b);
    if (ia < 0 && ib < 0)
        return g_strcmp0(a, b);
    if (ia < 0)
        return 1;
    if (ib < 0)
        return -1;
    return ia - ib;
}

/* The product's name for id, or NULL if unknown. */
const char *
msm_version_display_name(const char *id)
{
    int i = version_index(id);
    if (i < 0)
        return msm_version_is_custom(id) ? g_intern_string(id) : NULL;
    return versions[i].display;
}

/* "sims", "nms", "ims" or "ms", or NULL if unknown. */
const char *
msm_version_family(const char *id)
{
    int i = version_index(id);
    if (i < 0)
        return msm_version_is_custom(id) ? "x" : NULL;
    return versions[i].family;
}

/* The canonical ids in product order, NULL-terminated. */
const char *const *
msm_version_all(void)
{
    return all_ids;
}
