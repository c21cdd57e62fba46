/*
 * NAME
 *	sample.c - deterministic synthetic deployments (`msmigrate sample`)
 * SUMMARY
 *	Implements core/sample.h and the model of core/sample-model.h: from
 *	(version, users, seed) it generates domains, users, groups, folders
 *	with streamed MIME messages, queued messages, configuration files and
 *	directory entries, and writes each kind through the codec the registry
 *	has for the version (directory entries always as LDIF files).
 * DESCRIPTION
 *	Determinism: every random choice comes from xoshiro256** generators
 *	seeded by splitmix64 from the sample seed and a fixed tuple naming
 *	what is generated (user, folder, message...). So any item can be
 *	regenerated alone, in any order, and the same (version, users, seed)
 *	gives the same bytes. Dates derive from a fixed epoch per version.
 *	Nothing reads the clock, g_random or a hash table's iteration order.
 *
 *	Bounded memory: a folder keeps only the plan of each message (its
 *	headers and the parameters of its generated parts); message bodies
 *	are produced line by line when the writer reads them.
 *
 *	What is [C] (from the public documentation) and what is modelled is
 *	listed in docs/formats/sample.md.
 * DIAGNOSTICS
 *	msm_sample_write(): MSM_ERROR_INVALID_ARGUMENT when the directory is not
 *	empty or the spec is malformed, MSM_ERROR_NOT_FOUND for an unknown
 *	version id, MSM_ERROR_IO naming the path that could not be written, or
 *	the error of the codec that failed (prefixed with the codec's name).
 *	On failure the result holds what was written up to then (counts, missing
 *	kinds); the caller clears it with msm_sample_result_clear() either way.
 */
#include "config.h"

#include "sample.h"
#include "sample-model.h"

#include "ctxpriv.h"
#include "ldif.h"
#include "util.h"

#include <stdarg.h>
#include <string.h>

/* ====================================================================== */
/* deterministic random numbers                                           */
/* ====================================================================== */

typedef struct {
    guint64 s[4];
} Rng;

/* splitmix64 step: the seeding generator of xoshiro. */
static guint64
splitmix64(guint64 *x)
{
    guint64 z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Seeds r from one 64-bit value. */
static void
rng_seed(Rng *r, guint64 seed)
{
    guint64 x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

/* Rotates x left by k bits. */
static inline guint64
rotl64(guint64 x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** next value. */
static guint64
rng_next(Rng *r)
{
    guint64 result = rotl64(r->s[1] * 5, 7) * 9;
    guint64 t = r->s[1] << 17;
    r->s[2] ^= r->s[0];
    r->s[3] ^= r->s[1];
    r->s[1] ^= r->s[2];
    r->s[0] ^= r->s[3];
    r->s[2] ^= t;
    r->s[3] = rotl64(r->s[3], 45);
    return result;
}

/* A value in [0, n) (0 when n == 0). */
static guint32
rng_below(Rng *r, guint32 n)
{
    return n == 0 ? 0 : (guint32)((rng_next(r) >> 11) % n);
}

/* A value in [lo, hi]. */
static guint32
rng_range(Rng *r, guint32 lo, guint32 hi)
{
    return lo + rng_below(r, hi - lo + 1);
}

/* TRUE with probability pct percent. */
static gboolean
rng_chance(Rng *r, guint32 pct)
{
    return rng_below(r, 100) < pct;
}

/* What a derived generator is for: keeps the streams of different items apart. */
enum {
    TAG_MODEL = 1,
    TAG_FOLDER,
    TAG_MESSAGE,
    TAG_BODY,
    TAG_QUEUE,
    TAG_CONFIG,
    TAG_DIRECTORY,
};

/* A seed derived from the sample seed and a tuple (tag, a, b, c). */
static guint64
derive(guint64 seed, guint64 tag, guint64 a, guint64 b, guint64 c)
{
    guint64 x = seed;
    guint64 h = splitmix64(&x);
    const guint64 parts[4] = {tag, a, b, c};
    for (int i = 0; i < 4; i++) {
        x = h ^ (parts[i] * 0xd1342543de82ef95ULL);
        h = splitmix64(&x);
    }
    return h;
}

/* A generator seeded from derive(). */
static void
rng_for(Rng *r, guint64 seed, guint64 tag, guint64 a, guint64 b, guint64 c)
{
    rng_seed(r, derive(seed, tag, a, b, c));
}

/* ====================================================================== */
/* versions                                                               */
/* ====================================================================== */

#define V_DEFAULTS_FILE (1u << 0) /* msg.conf.defaults exists (6.3 and later) */
#define V_NSMANAGED (1u << 1)     /* iDA nsManaged* classes (iMS 5.2) */
#define V_NETSCAPEROOT (1u << 2)  /* nsmsgCfg* entries in o=NetscapeRoot (NMS 4.x) */
#define V_LOCAL_CONF (1u << 3)    /* msg.conf beside a config directory server (5.2-6.2) */

typedef struct {
    const char *id;
    const char *family;
    MsmSampleSchema schema;
    gint64 epoch;             /* fixed start of the sample's dates */
    const char *banner;       /* product name in Received: headers */
    const char *install_base; /* what a root of the version's own kind stands for */
    const char *store_codec;  /* who provides the store codec */
    const char *queue_codec;  /* who provides the queue codec */
    guint flags;
} SampleVersion;

#define CLASSIC "core's classic store codec (libmsmigrate)"
#define PMDFQ "core's PMDF-lineage queue codec (libmsmigrate)"

static const SampleVersion versions[] = {
    {"sims-4.0", "sims", MSM_SAMPLE_SCHEMA_SIMS, 928195200,
     "Sun Internet Mail Server sims.4.0.1999.05.24.18.28.SPARC", "",
     "msmigrate-plugin-sims40 (SIMS store codec)", PMDFQ, 0},
    {"nms-3.x", "nms", MSM_SAMPLE_SCHEMA_NMS, 896659200, "Netscape Messaging Server 3.6",
     "/usr/netscape/server4", "msmigrate-plugin-nms3x (NMS 3.x store codec)",
     "msmigrate-plugin-nms3x (NMS 3.x queue codec)", 0},
    {"nms-4.0", "nms", MSM_SAMPLE_SCHEMA_NMS, 951868800, "Netscape Messaging Server 4.0",
     "/usr/netscape/server4", "core's NMS 4.x store codec (libmsmigrate)",
     "core's NMS 4.x queue codec (libmsmigrate)", V_NETSCAPEROOT},
    {"nms-4.1", "nms", MSM_SAMPLE_SCHEMA_NMS, 970358400, "Netscape Messaging Server 4.15",
     "/usr/netscape/server4", "core's NMS 4.x store codec (libmsmigrate)",
     "core's NMS 4.x queue codec (libmsmigrate)", V_NETSCAPEROOT},
    {"ims-5.2", "ims", MSM_SAMPLE_SCHEMA_1, 1022889600,
     "iPlanet Messaging Server 5.2 HotFix 2.04 (built Feb 12 2005)", "/usr/iplanet/server5",
     "msmigrate-plugin-ims52 or " CLASSIC, PMDFQ, V_NSMANAGED | V_LOCAL_CONF},
    {"ms-6.0", "ms", MSM_SAMPLE_SCHEMA_1, 1072915200,
     "Sun ONE Messaging Server 6.0 (built Oct 29 2003)", "/opt/SUNWmsgsr", CLASSIC, PMDFQ,
     V_LOCAL_CONF},
    {"ms-6.1", "ms", MSM_SAMPLE_SCHEMA_1, 1088640000,
     "Sun Java(tm) System Messaging Server 6.1 (built Apr 28 2004)", "/opt/SUNWmsgsr", CLASSIC,
     PMDFQ, V_LOCAL_CONF},
    {"ms-6.2", "ms", MSM_SAMPLE_SCHEMA_1, 1120176000,
     "Sun Java(tm) System Messaging Server 6.2-3.04 (built Jul 15 2005)", "/opt/SUNWmsgsr", CLASSIC,
     PMDFQ, V_LOCAL_CONF},
    {"ms-6.2p3", "ms", MSM_SAMPLE_SCHEMA_1, 1146441600,
     "Sun Java(tm) System Messaging Server 6.2-7.05 (built Sep  5 2006)", "/opt/SUNWmsgsr", CLASSIC,
     PMDFQ, V_LOCAL_CONF},
    {"ms-6.3", "ms", MSM_SAMPLE_SCHEMA_1, 1180656000,
     "Sun Java(tm) System Messaging Server 6.3-0.15 (built Feb  9 2007)", "/opt/SUNWmsgsr", CLASSIC,
     PMDFQ, V_DEFAULTS_FILE},
    {"ms-7.0", "ms", MSM_SAMPLE_SCHEMA_2, 1235865600,
     "Sun Java(tm) System Messaging Server 7.0-3.01 64bit (built Dec  9 2008)",
     "/opt/sun/comms/messaging64", CLASSIC, PMDFQ, V_DEFAULTS_FILE},
    {"ms-7.0.5", "ms", MSM_SAMPLE_SCHEMA_2, 1306886400,
     "Oracle Communications Messaging Exchange Server 7u5-23.01 64bit (built Mar 29 2011)",
     "/opt/sun/comms/messaging64", CLASSIC, PMDFQ, V_DEFAULTS_FILE},
    {"ms-8.0", "ms", MSM_SAMPLE_SCHEMA_2, 1420070400,
     "Oracle Communications Messaging Server 8.0.0.1.0 64bit (built Nov 20 2014)",
     "/opt/sun/comms/messaging64", CLASSIC, PMDFQ, V_DEFAULTS_FILE},
    {"ms-8.0.1", "ms", MSM_SAMPLE_SCHEMA_2, 1451606400,
     "Oracle Communications Messaging Server 8.0.1.1.0 64bit (built Mar 10 2016)",
     "/opt/sun/comms/messaging64", CLASSIC, PMDFQ, V_DEFAULTS_FILE},
    {"ms-8.0.2", "ms", MSM_SAMPLE_SCHEMA_2, 1483228800,
     "Oracle Communications Messaging Server 8.0.2.2.0 64bit (built Jul 26 2017)",
     "/opt/sun/comms/messaging64", CLASSIC, PMDFQ, V_DEFAULTS_FILE},
    {"ms-8.1", "ms", MSM_SAMPLE_SCHEMA_2, 1561939200,
     "Oracle Communications Messaging Server 8.1.0.1.20190704 64bit (built Jul  4 2019)",
     "/opt/sun/comms/messaging64", CLASSIC, PMDFQ, V_DEFAULTS_FILE},
};

/* The table row of version id, or NULL. */
static const SampleVersion *
find_version(const char *id)
{
    for (gsize i = 0; id && i < G_N_ELEMENTS(versions); i++)
        if (strcmp(versions[i].id, id) == 0)
            return &versions[i];
    return NULL;
}

/* TRUE if the generator knows version. */
gboolean
msm_sample_version_known(const char *version)
{
    return find_version(version) != NULL;
}

/* The sentence saying which package provides the missing codec. (transfer full) */
char *
msm_sample_missing_reason(const char *version, MsmKind kind)
{
    const SampleVersion *v = find_version(version);
    const char *who;
    switch (kind) {
    case MSM_KIND_STORE:
        who = v ? v->store_codec : "a plugin for that version";
        break;
    case MSM_KIND_QUEUE:
        who = v ? v->queue_codec : "a plugin for that version";
        break;
    case MSM_KIND_CONFIG:
        who = "core's config-files codec (libmsmigrate registers it for every version)";
        break;
    case MSM_KIND_DIRECTORY:
    case MSM_KIND_COUNT:
    default:
        who = "core's LDIF writer";
        break;
    }
    return g_strdup_printf("no %s codec for %s is loaded (it comes with %s)", msm_kind_name(kind),
                           version, who);
}

/* ====================================================================== */
/* name tables                                                            */
/* ====================================================================== */

typedef struct {
    const char *name;  /* UTF-8 */
    const char *ascii; /* for uids and addresses */
    const char *lang;
} Name;

static const Name given_names[] = {
    {"Anna", "Anna", "de"},       {"Björn", "Bjorn", "sv"},     {"Chloé", "Chloe", "fr"},
    {"David", "David", "en"},     {"Émile", "Emile", "fr"},     {"Fatima", "Fatima", "en"},
    {"Günther", "Gunther", "de"}, {"Hiroshi", "Hiroshi", "ja"}, {"Ingrid", "Ingrid", "no"},
    {"José", "Jose", "es"},       {"Kenji", "Kenji", "ja"},     {"Łukasz", "Lukasz", "pl"},
    {"Maria", "Maria", "it"},     {"Nils", "Nils", "sv"},       {"Olivia", "Olivia", "en"},
    {"Paul", "Paul", "en"},       {"Renée", "Renee", "fr"},     {"Søren", "Soren", "da"},
    {"Tomás", "Tomas", "es"},     {"Ute", "Ute", "de"},         {"Yuki", "Yuki", "ja"},
    {"Zoë", "Zoe", "en"},         {"Sarah", "Sarah", "en"},     {"Stefan", "Stefan", "de"},
};

static const Name surnames[] = {
    {"Anderson", "Anderson", NULL},
    {"Kolander", "Kolander", NULL},
    {"Müller", "Muller", NULL},
    {"García", "Garcia", NULL},
    {"Núñez", "Nunez", NULL},
    {"Smith", "Smith", NULL},
    {"田中", "Tanaka", NULL},
    {"Dubois", "Dubois", NULL},
    {"Øberg", "Oberg", NULL},
    {"Şahin", "Sahin", NULL},
    {"Nguyen", "Nguyen", NULL},
    {"O'Brien", "OBrien", NULL},
    {"van der Berg", "vanderBerg", NULL},
    {"Fanning", "Fanning", NULL},
    {"Jensen", "Jensen", NULL},
    {"Lefèvre", "Lefevre", NULL},
    {"Schröder", "Schroder", NULL},
    {"Kowalski", "Kowalski", NULL},
    {"Yamada", "Yamada", NULL},
    {"Svensson", "Svensson", NULL},
};

static const char *const hosted_domain_names[] = {"sesta.com",   "varrius.org", "airius.com",
                                                  "example.org", "babs.net",    "siroe.net"};

static const char *const group_names[] = {"staff",     "sales",   "engineering", "support",
                                          "marketing", "ops",     "all-hands",   "finance",
                                          "legal",     "research"};

static const char *const words[] = {
    "the",      "message",   "store",    "migration", "server",  "configuration",
    "queue",    "directory", "user",     "folder",    "we",      "will",
    "please",   "review",    "attached", "report",    "meeting", "schedule",
    "next",     "week",      "update",   "status",    "project", "budget",
    "team",     "thanks",    "regards",  "deadline",  "release", "backup",
    "restore",  "channel",   "domain",   "account",   "quota",   "mailbox",
    "draft",    "final",     "version",  "customer",  "order",   "invoice",
    "shipping", "notes",     "agenda",   "minutes",   "lunch",   "coffee",
    "friday",   "monday",    "and",      "of",        "to",      "for",
    "in",       "on",        "is",       "a",         "with",    "this",
    "that",     "from",      "it",
};

typedef struct {
    const char *name;
    const char *addr;
} Party;

static const Party outsiders[] = {
    {"Alice Example", "alice@example.org"},       {"Bob Lister", "bob@lists.example.net"},
    {"Chen Wei", "chen.wei@example.cn"},          {"Dana Reyes", "dana@partner.example.com"},
    {"Shop Newsletter", "news@shop.example.com"}, {"Kernel Team", "announce@kernel.example.org"},
};

static const char *const subjects[] = {
    "Quarterly report",          "Re: meeting next week",
    "Server maintenance window", "Fwd: budget 2nd draft",
    "Lunch on Friday?",          "Project status update",
    "Re: Re: invoice question",  "Backup schedule changes",
    "Welcome to the team",       "Minutes of the staff meeting",
};

/* ====================================================================== */
/* the model                                                              */
/* ====================================================================== */

/* Frees a domain. */
static void
domain_free(MsmSampleDomain *d)
{
    g_free(d->name);
    g_free(d);
}

/* Frees a user. */
static void
user_free(MsmSampleUser *u)
{
    g_free(u->uid);
    g_free(u->store_user);
    g_free(u->given);
    g_free(u->sn);
    g_free(u->cn);
    g_free(u->mail);
    g_ptr_array_unref(u->alternates);
    g_free(u->password);
    g_free(u->language);
    g_free(u);
}

/* Frees a group. */
static void
group_free(MsmSampleGroup *g)
{
    g_free(g->cn);
    g_free(g->mail);
    g_array_unref(g->members);
    g_ptr_array_unref(g->external);
    g_free(g);
}

/* Lowercase ASCII letters and digits of s. (transfer full) */
static char *
ascii_token(const char *s)
{
    GString *o = g_string_new(NULL);
    for (const char *p = s; *p; p++)
        if (g_ascii_isalnum(*p))
            g_string_append_c(o, g_ascii_tolower(*p));
    return g_string_free(o, FALSE);
}

/* base makes unique in seen (case-insensitive), adding 2, 3... (transfer full) */
static char *
unique_name(GHashTable *seen, const char *base, const char *suffix)
{
    for (guint n = 1;; n++) {
        char *cand =
            n == 1 ? g_strconcat(base, suffix, NULL) : g_strdup_printf("%s%u%s", base, n, suffix);
        char *key = g_ascii_strdown(cand, -1);
        if (!g_hash_table_contains(seen, key)) {
            g_hash_table_add(seen, key);
            return cand;
        }
        g_free(key);
        g_free(cand);
    }
}

/* Standard BASE64 of len bytes from r. (transfer full) */
static char *
rng_base64(Rng *r, gsize len)
{
    guint8 *buf = g_malloc(len);
    for (gsize i = 0; i < len; i++)
        buf[i] = (guint8)(rng_next(r) >> 56);
    char *b = g_base64_encode(buf, len);
    g_free(buf);
    return b;
}

/* Sets the default product paths of the model's version. */
static void
model_default_paths(MsmSampleModel *m, const SampleVersion *v)
{
    if (m->schema == MSM_SAMPLE_SCHEMA_SIMS) {
        msm_sample_model_set_paths(m, "/opt/SUNWmail", "/etc/opt/SUNWmail",
                                   "/etc/opt/SUNWmail/imta", "/var/opt/SUNWmail/ims",
                                   "/var/opt/SUNWmail/imta/queue");
        return;
    }
    if (strcmp(v->family, "nms") == 0 || strcmp(v->family, "ims") == 0) {
        char *base = g_strdup_printf("%s/msg-%s", v->install_base, m->instance);
        char *cfg = g_strconcat(base, "/config", NULL);
        gboolean ims = strcmp(v->family, "ims") == 0;
        char *mta = ims ? g_strconcat(base, "/imta/config", NULL) : g_strdup(cfg);
        char *store =
            g_strconcat(base, strcmp(v->id, "nms-3.x") == 0 ? "/mailbox" : "/store", NULL);
        char *queue = g_strconcat(base, ims ? "/imta/queue" : "/queue", NULL);
        msm_sample_model_set_paths(m, base, cfg, mta, store, queue);
        g_free(base);
        g_free(cfg);
        g_free(mta);
        g_free(store);
        g_free(queue);
        return;
    }
    char *cfg = g_strconcat(v->install_base, "/config", NULL);
    char *store = g_strconcat(v->install_base, "/data/store", NULL);
    char *queue = g_strconcat(v->install_base, "/data/queue", NULL);
    msm_sample_model_set_paths(m, v->install_base, cfg, cfg, store, queue);
    g_free(cfg);
    g_free(store);
    g_free(queue);
}

/* Replaces the product paths the configuration files name. */
void
msm_sample_model_set_paths(MsmSampleModel *model, const char *base, const char *config,
                           const char *mta_config, const char *store, const char *queue)
{
    g_return_if_fail(model != NULL);
    g_free(model->base_path);
    g_free(model->config_path);
    g_free(model->mta_config_path);
    g_free(model->store_path);
    g_free(model->queue_path);
    model->base_path = g_strdup(base);
    model->config_path = g_strdup(config);
    model->mta_config_path = g_strdup(mta_config);
    model->store_path = g_strdup(store);
    model->queue_path = g_strdup(queue);
}

/* Builds the domains, users and groups of a sample. (transfer full) */
MsmSampleModel *
msm_sample_model_new(const char *version, guint users, guint64 seed, const char *instance,
                     GError **error)
{
    const SampleVersion *v = find_version(version);
    if (v == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "cannot generate a sample of unknown version id \"%s\": use a canonical "
                    "id such as ims-5.2 or ms-6.3",
                    version ? version : "(none)");
        return NULL;
    }
    if (users == 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "a sample needs at least one user (--users 1 or more)");
        return NULL;
    }
    MsmSampleModel *m = g_new0(MsmSampleModel, 1);
    m->version = g_strdup(v->id);
    m->family = v->family;
    m->schema = v->schema;
    m->seed = seed;
    m->instance = g_strdup(instance ? instance : "sample");
    m->epoch = v->epoch;
    m->store_channel = m->schema == MSM_SAMPLE_SCHEMA_SIMS  ? "sims-ms"
                       : m->schema == MSM_SAMPLE_SCHEMA_NMS ? NULL
                                                            : "ims-ms";
    m->domains = g_ptr_array_new_with_free_func((GDestroyNotify)domain_free);
    m->users = g_ptr_array_new_with_free_func((GDestroyNotify)user_free);
    m->groups = g_ptr_array_new_with_free_func((GDestroyNotify)group_free);

    /* Domains: the default one, then about one hosted domain per 10 users. */
    MsmSampleDomain *def = g_new0(MsmSampleDomain, 1);
    def->name = g_strdup("siroe.com");
    def->is_default = TRUE;
    g_ptr_array_add(m->domains, def);
    guint hosted = users / 10;
    if (hosted == 0 && users >= 5)
        hosted = 1;
    for (guint i = 0; i < hosted; i++) {
        MsmSampleDomain *d = g_new0(MsmSampleDomain, 1);
        d->name = i < G_N_ELEMENTS(hosted_domain_names)
                      ? g_strdup(hosted_domain_names[i])
                      : g_strdup_printf("hosted%u.example.net", i + 1);
        g_ptr_array_add(m->domains, d);
    }
    m->host = g_strdup("mail.siroe.com");
    m->ldap_host =
        g_strdup(m->schema == MSM_SAMPLE_SCHEMA_SIMS ? "mail.siroe.com" : "ldap.siroe.com");
    model_default_paths(m, v);

    /* Users. */
    GHashTable *uids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GHashTable *mails = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < users; i++) {
        Rng r;
        rng_for(&r, seed, TAG_MODEL, 1, i, 0);
        MsmSampleUser *u = g_new0(MsmSampleUser, 1);
        u->index = i;
        u->domain = (hosted > 0 && i % 5 == 4) ? 1 + (i / 5) % hosted : 0;
        const char *dname = ((MsmSampleDomain *)m->domains->pdata[u->domain])->name;
        const Name *gn = &given_names[rng_below(&r, G_N_ELEMENTS(given_names))];
        const Name *sn = &surnames[rng_below(&r, G_N_ELEMENTS(surnames))];
        u->given = g_strdup(gn->name);
        u->sn = g_strdup(sn->name);
        u->cn = g_strdup_printf("%s %s", gn->name, sn->name);
        u->language = g_strdup(gn->lang);
        char *gtok = ascii_token(gn->ascii);
        char *stok = ascii_token(sn->ascii);
        char *base;
        if (i % 4 == 1) { /* capitalised uids, as in seed 003's Anderson/Kolander */
            GString *cap = g_string_new(NULL);
            for (const char *p = sn->ascii; *p; p++)
                if (g_ascii_isalnum(*p))
                    g_string_append_c(cap, *p);
            base = g_string_free(cap, FALSE);
        } else {
            base = g_strdup_printf("%c%s", gtok[0], stok);
        }
        char *key_suffix = g_strconcat("@", dname, NULL);
        char *uid = unique_name(uids, base, key_suffix); /* unique per domain */
        uid[strlen(uid) - strlen(key_suffix)] = '\0';
        g_free(key_suffix);
        gboolean hosted_user = u->domain != 0;
        if (hosted_user && m->schema == MSM_SAMPLE_SCHEMA_NMS) {
            /* NMS 4.x hosted users have uid LocalPart@FQDN (seed 003). */
            char *lp = g_ascii_strdown(uid, -1);
            u->uid = g_strdup_printf("%s@%s", lp, dname);
            g_free(lp);
        } else {
            u->uid = g_strdup(uid);
        }
        char *store_uid =
            m->schema == MSM_SAMPLE_SCHEMA_SIMS ? g_ascii_strdown(uid, -1) : g_strdup(uid);
        u->store_user =
            hosted_user ? g_strdup_printf("%s@%s", store_uid, dname) : g_strdup(store_uid);
        g_free(store_uid);
        char *mail_base = g_strdup_printf("%s.%s", gtok, stok);
        char *mail_suffix = g_strconcat("@", dname, NULL);
        u->mail = unique_name(mails, mail_base, mail_suffix);
        g_free(mail_base);
        g_free(mail_suffix);
        u->alternates = g_ptr_array_new_with_free_func(g_free);
        char *lower_uid = g_ascii_strdown(uid, -1);
        char *alt = g_strdup_printf("%s@%s", lower_uid, dname);
        char *alt_key = g_ascii_strdown(alt, -1);
        if (!g_hash_table_contains(mails, alt_key)) {
            g_hash_table_add(mails, alt_key);
            g_ptr_array_add(u->alternates, alt);
        } else {
            g_free(alt_key);
            g_free(alt);
        }
        g_free(lower_uid);
        static const gint64 quotas[] = {-1, 10485760, 20971520, 52428800, 104857600};
        static const gint64 mquotas[] = {-1, -1, 1000, 5000};
        u->quota_bytes = quotas[rng_below(&r, G_N_ELEMENTS(quotas))];
        u->quota_messages = mquotas[rng_below(&r, G_N_ELEMENTS(mquotas))];
        char *hash = rng_base64(&r, 24);
        u->password = g_strconcat("{SSHA}", hash, NULL);
        g_free(hash);
        g_free(uid);
        g_free(base);
        g_free(gtok);
        g_free(stok);
        g_ptr_array_add(m->users, u);
    }
    /* A catch-all vanity address on the first hosted user (NMS-DS4 "@babs.net" form). */
    if (hosted > 0 && users > 4) {
        MsmSampleUser *u = m->users->pdata[4];
        g_ptr_array_add(
            u->alternates,
            g_strconcat("@", ((MsmSampleDomain *)m->domains->pdata[u->domain])->name, NULL));
    }
    g_hash_table_unref(uids);
    g_hash_table_unref(mails);

    /* Groups: about one per five users, then the postmaster entry. */
    guint ngroups = MAX(1u, users / 5);
    for (guint i = 0; i < ngroups; i++) {
        Rng r;
        rng_for(&r, seed, TAG_MODEL, 2, i, 0);
        MsmSampleGroup *g = g_new0(MsmSampleGroup, 1);
        g->cn = i < G_N_ELEMENTS(group_names)
                    ? g_strdup(group_names[i])
                    : g_strdup_printf("%s-%u", group_names[i % G_N_ELEMENTS(group_names)],
                                      (guint)(i / G_N_ELEMENTS(group_names) + 1));
        g->mail = g_strdup_printf("%s@siroe.com", g->cn);
        g->members = g_array_new(FALSE, FALSE, sizeof(guint));
        g->external = g_ptr_array_new_with_free_func(g_free);
        guint want = rng_range(&r, 2, 6);
        want = MIN(users, want);
        gboolean *taken = g_new0(gboolean, users);
        guint next = rng_below(&r, users);
        while (g->members->len < want) {
            next = (next + 1 + rng_below(&r, 3)) % users;
            while (taken[next])
                next = (next + 1) % users;
            taken[next] = TRUE;
            g_array_append_val(g->members, next);
        }
        g_free(taken);
        guint ext = rng_below(&r, 3);
        for (guint k = 0; k < ext; k++)
            g_ptr_array_add(g->external,
                            g_strdup(outsiders[(i + k) % G_N_ELEMENTS(outsiders)].addr));
        g_ptr_array_add(m->groups, g);
    }
    MsmSampleGroup *pm = g_new0(MsmSampleGroup, 1);
    pm->cn = g_strdup("postmaster");
    pm->mail = g_strdup("postmaster@siroe.com");
    pm->members = g_array_new(FALSE, FALSE, sizeof(guint));
    guint zero = 0;
    g_array_append_val(pm->members, zero);
    pm->external = g_ptr_array_new_with_free_func(g_free);
    pm->postmaster = TRUE;
    g_ptr_array_add(m->groups, pm);
    return m;
}

/* Frees a model. */
void
msm_sample_model_free(MsmSampleModel *model)
{
    if (model == NULL)
        return;
    g_free(model->version);
    g_free(model->instance);
    g_free(model->host);
    g_free(model->ldap_host);
    g_free(model->base_path);
    g_free(model->config_path);
    g_free(model->mta_config_path);
    g_free(model->store_path);
    g_free(model->queue_path);
    g_ptr_array_unref(model->domains);
    g_ptr_array_unref(model->users);
    g_ptr_array_unref(model->groups);
    g_free(model);
}

/* The row of the model's version. */
static const SampleVersion *
model_version(const MsmSampleModel *m)
{
    return find_version(m->version);
}

/* The domain name of user u. */
static const char *
user_domain(const MsmSampleModel *m, const MsmSampleUser *u)
{
    return ((MsmSampleDomain *)m->domains->pdata[u->domain])->name;
}

/* ====================================================================== */
/* message bodies: plans of literal and generated segments                */
/* ====================================================================== */

typedef enum {
    SEG_LITERAL,
    SEG_TEXT, /* n bytes of ASCII text lines */
    SEG_B64,  /* BASE64 lines of n generated bytes */
} SegKind;

typedef struct {
    SegKind kind;
    GBytes *lit;
    guint64 n; /* TEXT: output bytes; B64: raw bytes */
    guint64 seed;
    gboolean crlf;
} Seg;

typedef struct {
    GPtrArray *segs; /* Seg* (shared by reference with the body streams) */
    gint64 size;
} BodyPlan;

/* Frees one segment. */
static void
seg_free(Seg *s)
{
    if (s->lit != NULL)
        g_bytes_unref(s->lit);
    g_free(s);
}

/* Frees a plan. */
static void
plan_free(BodyPlan *p)
{
    if (p == NULL)
        return;
    g_ptr_array_unref(p->segs);
    g_free(p);
}

/* Output length of n raw bytes as BASE64 lines of 76 characters. */
static guint64
b64_out_len(guint64 n, gsize eol_len)
{
    guint64 full = n / 57, rem = n % 57;
    return full * (76 + eol_len) + (rem ? 4 * ((rem + 2) / 3) + eol_len : 0);
}

/* A plan under construction. */
typedef struct {
    BodyPlan *plan;
    GString *lit;
    const char *eol;
} Builder;

/* Starts a plan whose lines end with eol. */
static void
b_init(Builder *b, const char *eol)
{
    b->plan = g_new0(BodyPlan, 1);
    b->plan->segs = g_ptr_array_new_with_free_func((GDestroyNotify)seg_free);
    b->lit = g_string_new(NULL);
    b->eol = eol;
}

/* Moves the pending literal bytes into a segment. */
static void
b_flush(Builder *b)
{
    if (b->lit->len == 0)
        return;
    Seg *s = g_new0(Seg, 1);
    s->kind = SEG_LITERAL;
    s->lit = g_bytes_new(b->lit->str, b->lit->len);
    b->plan->size += (gint64)b->lit->len;
    g_ptr_array_add(b->plan->segs, s);
    g_string_truncate(b->lit, 0);
}

/* Appends len literal bytes (may contain NUL). */
static void
b_bytes(Builder *b, const char *data, gsize len)
{
    g_string_append_len(b->lit, data, (gssize)len);
}

/* Appends a formatted line and the plan's line end. */
static void G_GNUC_PRINTF(2, 3) b_line(Builder *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_string_append_vprintf(b->lit, fmt, ap);
    va_end(ap);
    g_string_append(b->lit, b->eol);
}

/* Appends n bytes of generated text lines (n >= 3). */
static void
b_text(Builder *b, guint64 n, guint64 seed)
{
    b_flush(b);
    Seg *s = g_new0(Seg, 1);
    s->kind = SEG_TEXT;
    s->n = MAX(n, 3);
    s->seed = seed;
    s->crlf = strcmp(b->eol, "\r\n") == 0;
    b->plan->size += (gint64)s->n;
    g_ptr_array_add(b->plan->segs, s);
}

/* Appends n generated bytes as BASE64 lines. */
static void
b_b64(Builder *b, guint64 n, guint64 seed)
{
    b_flush(b);
    Seg *s = g_new0(Seg, 1);
    s->kind = SEG_B64;
    s->n = n;
    s->seed = seed;
    s->crlf = strcmp(b->eol, "\r\n") == 0;
    b->plan->size += (gint64)b64_out_len(n, s->crlf ? 2 : 1);
    g_ptr_array_add(b->plan->segs, s);
}

/* Ends the plan. (transfer full) */
static BodyPlan *
b_finish(Builder *b)
{
    b_flush(b);
    g_string_free(b->lit, TRUE);
    BodyPlan *p = b->plan;
    b->plan = NULL;
    return p;
}

/* ---- streaming a plan ---- */

typedef struct {
    GPtrArray *segs; /* reference */
    guint seg;
    gsize lit_off;
    gboolean started; /* generator of the current segment is seeded */
    guint64 left;     /* TEXT: output bytes left; B64: raw bytes left */
    Rng rng;
    guint8 line[192];
    gsize line_len, line_pos;
} BodyStream;

/* Frees a stream. */
static void
body_stream_free(BodyStream *st)
{
    g_ptr_array_unref(st->segs);
    g_free(st);
}

/* Generates the next text line of segment s into the stream's line buffer. */
static void
gen_text_line(BodyStream *st, const Seg *s)
{
    gsize eol_len = s->crlf ? 2 : 1;
    guint64 avail = st->left - eol_len; /* left >= eol_len + 1 by construction */
    guint64 len = rng_range(&st->rng, 40, 72);
    len = MIN(len, avail);
    if (avail - len < eol_len + 1)
        len = avail; /* absorb a tail too short to be a line of its own */
    /* Whole words while more than 9 columns are left, then one word of exactly
     * the remaining width (or a full stop), so lines end on a word. */
    static const char *const exact[] = {"",      "a",      "to",      "the",      "week",
                                        "queue", "review", "release", "shipping", "directory"};
    gsize pos = 0;
    while (len - pos > 9) {
        const char *w = words[rng_below(&st->rng, G_N_ELEMENTS(words))];
        gsize wl = strlen(w), sep = pos > 0 ? 1 : 0;
        if (pos + sep + wl > len)
            continue;
        if (sep)
            st->line[pos++] = ' ';
        memcpy(st->line + pos, w, wl);
        pos += wl;
    }
    gsize gap = (gsize)len - pos;
    if (gap == 1 && pos > 0) {
        st->line[pos++] = '.';
    } else if (gap > 0) {
        gsize sep = pos > 0 ? 1 : 0;
        if (sep)
            st->line[pos++] = ' ';
        memcpy(st->line + pos, exact[gap - sep], gap - sep);
        pos += gap - sep;
    }
    if (len > 0)
        st->line[0] = (guint8)g_ascii_toupper(st->line[0]);
    if (s->crlf) {
        st->line[len] = '\r';
        st->line[len + 1] = '\n';
    } else {
        st->line[len] = '\n';
    }
    st->line_len = (gsize)len + eol_len;
    st->line_pos = 0;
    st->left -= st->line_len;
}

/* Generates the next BASE64 line of segment s into the line buffer. */
static void
gen_b64_line(BodyStream *st, const Seg *s)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    guint8 raw[57];
    gsize k = (gsize)MIN(st->left, (guint64)57);
    for (gsize i = 0; i < k; i++)
        raw[i] = (guint8)(rng_next(&st->rng) >> 56);
    gsize o = 0;
    for (gsize i = 0; i < k; i += 3) {
        guint32 v = (guint32)raw[i] << 16;
        if (i + 1 < k)
            v |= (guint32)raw[i + 1] << 8;
        if (i + 2 < k)
            v |= raw[i + 2];
        st->line[o++] = (guint8)alpha[(v >> 18) & 63];
        st->line[o++] = (guint8)alpha[(v >> 12) & 63];
        st->line[o++] = i + 1 < k ? (guint8)alpha[(v >> 6) & 63] : '=';
        st->line[o++] = i + 2 < k ? (guint8)alpha[v & 63] : '=';
    }
    if (s->crlf)
        st->line[o++] = '\r';
    st->line[o++] = '\n';
    st->line_len = o;
    st->line_pos = 0;
    st->left -= k;
}

/* MsmBodyReadFunc over a plan: produces the message bytes on demand. */
static gssize
body_stream_read(gpointer data, guint8 *buf, gsize len, GError **error)
{
    (void)error;
    BodyStream *st = data;
    gsize filled = 0;
    while (filled < len) {
        if (st->line_pos < st->line_len) {
            gsize n = MIN(len - filled, st->line_len - st->line_pos);
            memcpy(buf + filled, st->line + st->line_pos, n);
            st->line_pos += n;
            filled += n;
            continue;
        }
        if (st->seg >= st->segs->len)
            break;
        const Seg *s = st->segs->pdata[st->seg];
        if (s->kind == SEG_LITERAL) {
            gsize ll;
            const guint8 *ld = g_bytes_get_data(s->lit, &ll);
            if (st->lit_off < ll) {
                gsize n = MIN(len - filled, ll - st->lit_off);
                memcpy(buf + filled, ld + st->lit_off, n);
                st->lit_off += n;
                filled += n;
                continue;
            }
        } else {
            if (!st->started) {
                rng_seed(&st->rng, s->seed);
                st->left = s->n;
                st->started = TRUE;
            }
            if (st->left > 0) {
                if (s->kind == SEG_TEXT)
                    gen_text_line(st, s);
                else
                    gen_b64_line(st, s);
                continue;
            }
        }
        st->seg++;
        st->lit_off = 0;
        st->started = FALSE;
    }
    return (gssize)filled;
}

/* A streamed body over plan (the plan stays usable). (transfer full) */
static MsmBody *
plan_body(const BodyPlan *plan)
{
    BodyStream *st = g_new0(BodyStream, 1);
    st->segs = g_ptr_array_ref(plan->segs);
    return msm_body_new_stream(body_stream_read, st, (GDestroyNotify)body_stream_free, plan->size);
}

/* ====================================================================== */
/* message content                                                        */
/* ====================================================================== */

/* RFC 5322 date of t (UTC seconds) shown in zone offset minutes. (transfer full) */
static char *
rfc822_date(gint64 t, int offset_min)
{
    static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    GDateTime *dt = g_date_time_new_from_unix_utc(t + (gint64)offset_min * 60);
    int off = offset_min < 0 ? -offset_min : offset_min;
    char *s = g_strdup_printf(
        "%s, %d %s %d %02d:%02d:%02d %c%02d%02d", days[g_date_time_get_day_of_week(dt) - 1],
        g_date_time_get_day_of_month(dt), months[g_date_time_get_month(dt) - 1],
        g_date_time_get_year(dt), g_date_time_get_hour(dt), g_date_time_get_minute(dt),
        g_date_time_get_second(dt), offset_min < 0 ? '-' : '+', off / 60, off % 60);
    g_date_time_unref(dt);
    return s;
}

/* What a generated message is about. */
typedef struct {
    MsmSampleMessageKind kind;
    Party from, to;
    const char *for_addr; /* envelope recipient in Received:, NULL = no Received: */
    gint64 date;          /* arrival (internal date) */
    guint64 seed;
    guint64 attach_bytes; /* MIXED: raw attachment size */
    guint index;          /* for file names and message ids */
} MsgParams;

/* TRUE if s is all US-ASCII. */
static gboolean
is_ascii(const char *s)
{
    for (; *s; s++)
        if ((guchar)*s >= 0x80)
            return FALSE;
    return TRUE;
}

/* A display name for From:/To:: quoted when ASCII, raw UTF-8 when raw8 (the 8-bit
 * header kinds), else an RFC 2047 encoded word. (transfer full) */
static char *
header_name(const char *name, gboolean raw8)
{
    if (raw8 || is_ascii(name))
        return g_strdup_printf("\"%s\"", name);
    char *b64 = g_base64_encode((const guchar *)name, strlen(name));
    char *w = g_strdup_printf("=?UTF-8?B?%s?=", b64);
    g_free(b64);
    return w;
}

/* Appends the RFC 5322 header common to all kinds (up to MIME-Version). */
static void
put_common_header(Builder *b, const MsmSampleModel *m, const MsgParams *p, Rng *r,
                  const char *subject_raw)
{
    static const int zones[] = {0, -480, 60, 540, -300, 120};
    int zone = zones[rng_below(r, G_N_ELEMENTS(zones))];
    char *sent = rfc822_date(p->date - rng_range(r, 5, 900), zone);
    if (p->for_addr != NULL) {
        char *rcvd = rfc822_date(p->date, 0);
        b_line(b, "Return-Path: <%s>", p->from.addr);
        b_line(b, "Received: from relay%u.example.net ([192.0.2.%u])", rng_range(r, 1, 9),
               rng_range(r, 1, 254));
        b_line(b, "\tby %s (%s)", m->host, model_version(m)->banner);
        b_line(b, "\twith ESMTP id <0%s%08X.%04X@%s> for %s; %s",
               m->schema == MSM_SAMPLE_SCHEMA_SIMS ? "F" : "I", (guint)(rng_next(r) >> 32),
               rng_below(r, 0x10000), m->host, p->for_addr, rcvd);
        g_free(rcvd);
    }
    b_line(b, "Date: %s", sent);
    g_free(sent);
    if (p->kind == MSM_SAMPLE_MSG_LATIN1) {
        /* Raw ISO-8859-1 in a header: what old clients sent and the stores kept. */
        static const char latin1_from[] = "From: Ren\xe9"
                                          "e Lef\xe8"
                                          "vre <";
        b_bytes(b, latin1_from, sizeof latin1_from - 1);
        g_string_append(b->lit, p->from.addr);
        g_string_append_c(b->lit, '>');
        g_string_append(b->lit, b->eol);
    } else {
        char *fn = header_name(p->from.name, p->kind == MSM_SAMPLE_MSG_UTF8);
        b_line(b, "From: %s <%s>", fn, p->from.addr);
        g_free(fn);
    }
    char *tn = header_name(p->to.name, p->kind == MSM_SAMPLE_MSG_UTF8);
    b_line(b, "To: %s <%s>", tn, p->to.addr);
    g_free(tn);
    if (subject_raw != NULL) {
        g_string_append(b->lit, "Subject: ");
        g_string_append(b->lit, subject_raw);
        g_string_append(b->lit, b->eol);
    } else if (rng_chance(r, 15)) {
        b_line(b, "Subject: =?ISO-8859-1?Q?R=E9union_du_%u_mars?=", rng_range(r, 1, 28));
    } else {
        b_line(b, "Subject: %s", subjects[rng_below(r, G_N_ELEMENTS(subjects))]);
    }
    const char *at = strchr(p->from.addr, '@');
    b_line(b, "Message-ID: <%" G_GINT64_FORMAT ".%u.%08x@%s>", p->date, p->index,
           (guint)(rng_next(r) >> 32), at ? at + 1 : m->host);
    if (rng_chance(r, 30))
        b_line(b, "X-Mailer: %s",
               rng_chance(r, 50) ? "Mozilla 4.7 [en] (WinNT; U)"
                                 : "Microsoft Outlook Express 6.00");
    b_line(b, "MIME-Version: 1.0");
}

/* The plan of one message. (transfer full) */
static BodyPlan *
build_message(const MsmSampleModel *m, const MsgParams *p)
{
    Rng r;
    rng_seed(&r, p->seed);
    Builder b;
    b_init(&b, p->kind == MSM_SAMPLE_MSG_BARE_LF ? "\n" : "\r\n");
    guint64 tseed = derive(p->seed, TAG_BODY, 1, 0, 0);
    guint64 tseed2 = derive(p->seed, TAG_BODY, 2, 0, 0);
    char *boundary = g_strdup_printf("Boundary_(ID_%08x%08x)", (guint)(rng_next(&r) >> 32),
                                     (guint)(rng_next(&r) >> 32));
    switch (p->kind) {
    case MSM_SAMPLE_MSG_PLAIN:
    case MSM_SAMPLE_MSG_BARE_LF:
        put_common_header(&b, m, p, &r, NULL);
        b_line(&b, "Content-Type: text/plain; charset=us-ascii; format=flowed");
        b_line(&b, "Content-Transfer-Encoding: 7bit");
        b_line(&b, "%s", "");
        b_line(&b, "Hello,");
        b_line(&b, "%s", "");
        b_text(&b, rng_range(&r, 350, 6000), tseed);
        if (p->kind == MSM_SAMPLE_MSG_BARE_LF) {
            b_line(&b, "-- ");
            g_string_append(b.lit, "(this message has bare LF line ends and no final newline)");
        } else {
            b_line(&b, "-- ");
            b_line(&b, "%s", p->from.addr);
        }
        break;
    case MSM_SAMPLE_MSG_NUL:
        put_common_header(&b, m, p, &r, NULL);
        b_line(&b, "Content-Type: text/plain; charset=us-ascii");
        b_line(&b, "Content-Transfer-Encoding: 7bit");
        b_line(&b, "%s", "");
        b_line(&b, "A broken client put a NUL byte in this line:");
        b_bytes(&b, "[\0]", 3);
        g_string_append(b.lit, " <- there");
        g_string_append(b.lit, b.eol);
        b_text(&b, rng_range(&r, 350, 3000), tseed);
        break;
    case MSM_SAMPLE_MSG_ALTERNATIVE:
        put_common_header(&b, m, p, &r, NULL);
        b_line(&b, "Content-Type: multipart/alternative;");
        b_line(&b, " boundary=\"%s\"", boundary);
        b_line(&b, "%s", "");
        b_line(&b, "This is a multi-part message in MIME format.");
        b_line(&b, "%s", "");
        b_line(&b, "--%s", boundary);
        b_line(&b, "Content-Type: text/plain; charset=us-ascii");
        b_line(&b, "Content-Transfer-Encoding: 7bit");
        b_line(&b, "%s", "");
        b_text(&b, rng_range(&r, 300, 4000), tseed);
        b_line(&b, "%s", "");
        b_line(&b, "--%s", boundary);
        b_line(&b, "Content-Type: text/html; charset=us-ascii");
        b_line(&b, "Content-Transfer-Encoding: 7bit");
        b_line(&b, "%s", "");
        b_line(&b, "<html><head><title>%s</title></head><body><p>", "message");
        b_text(&b, rng_range(&r, 300, 5000), tseed2);
        b_line(&b, "</p></body></html>");
        b_line(&b, "%s", "");
        b_line(&b, "--%s--", boundary);
        break;
    case MSM_SAMPLE_MSG_MIXED: {
        static const char *const files[][3] = {{"report", "pdf", "application/pdf"},
                                               {"data", "bin", "application/octet-stream"},
                                               {"photo", "jpg", "image/jpeg"},
                                               {"archive", "zip", "application/zip"}};
        guint f = rng_below(&r, G_N_ELEMENTS(files));
        char *fname = g_strdup_printf("%s-%u.%s", files[f][0], p->index, files[f][1]);
        put_common_header(&b, m, p, &r, NULL);
        b_line(&b, "Content-Type: multipart/mixed;");
        b_line(&b, " boundary=\"%s\"", boundary);
        b_line(&b, "%s", "");
        b_line(&b, "This is a multi-part message in MIME format.");
        b_line(&b, "%s", "");
        b_line(&b, "--%s", boundary);
        b_line(&b, "Content-Type: text/plain; charset=us-ascii");
        b_line(&b, "Content-Transfer-Encoding: 7bit");
        b_line(&b, "%s", "");
        b_line(&b, "Please find %s attached.", fname);
        b_text(&b, rng_range(&r, 200, 1500), tseed);
        b_line(&b, "%s", "");
        b_line(&b, "--%s", boundary);
        b_line(&b, "Content-Type: %s; name=\"%s\"", files[f][2], fname);
        b_line(&b, "Content-Transfer-Encoding: base64");
        b_line(&b, "Content-Disposition: attachment; filename=\"%s\"", fname);
        b_line(&b, "%s", "");
        b_b64(&b, p->attach_bytes, tseed2);
        b_line(&b, "%s", "");
        b_line(&b, "--%s--", boundary);
        g_free(fname);
        break;
    }
    case MSM_SAMPLE_MSG_LATIN1:
        put_common_header(&b, m, p, &r,
                          "R\xe9"
                          "union \xe0"
                          " Z\xfc"
                          "rich (8-bit header)");
        b_line(&b, "Content-Type: text/plain; charset=ISO-8859-1");
        b_line(&b, "Content-Transfer-Encoding: 8bit");
        b_line(&b, "%s", "");
        g_string_append(b.lit, "Ch\xe8"
                               "re coll\xe8"
                               "gue, la r\xe9"
                               "union est d\xe9"
                               "plac\xe9"
                               "e \xe0"
                               " jeudi. Gr\xfc\xdf"
                               "e, \xc6"
                               "sa.");
        g_string_append(b.lit, b.eol);
        b_text(&b, rng_range(&r, 300, 3000), tseed);
        break;
    case MSM_SAMPLE_MSG_UTF8:
        put_common_header(&b, m, p, &r, "Ärger mit dem Server – 日本語のテスト");
        b_line(&b, "Content-Type: text/plain; charset=UTF-8");
        b_line(&b, "Content-Transfer-Encoding: 8bit");
        b_line(&b, "%s", "");
        b_line(&b, "Grüße aus Zürich! Répertoire partagé, 日本語のフォルダ, Ærø, Łódź.");
        b_line(&b, "Emoji outside the BMP: \xf0\x9f\x93\xa7 \xf0\x9f\x98\x80");
        b_text(&b, rng_range(&r, 300, 3000), tseed);
        break;
    case MSM_SAMPLE_MSG_KINDS:
    default:
        g_assert_not_reached();
    }
    g_free(boundary);
    return b_finish(&b);
}

/* ====================================================================== */
/* folders                                                                */
/* ====================================================================== */

/* Extra folder groups: parents come before children. */
static const char *const extra_folders[][3] = {
    {"Répertoire", NULL, NULL}, {"日本語", NULL, NULL}, {"Ärger", "Ärger/2009", NULL},
    {"a.b", NULL, NULL},        {"R&D", NULL, NULL},    {"Projects", "Projects/2009", NULL},
};

typedef enum {
    F_INBOX,
    F_SENT,
    F_DRAFTS,
    F_TRASH,
    F_OTHER,
} FolderRole;

/* The folder names of user u (transfer full: char*) and the number of extras. */
static GPtrArray *
user_folder_names(const MsmSampleModel *m, guint user, guint *extras_r)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(names, g_strdup("INBOX"));
    g_ptr_array_add(names, g_strdup("Sent"));
    g_ptr_array_add(names, g_strdup("Drafts"));
    g_ptr_array_add(names, g_strdup("Trash"));
    gboolean pick[G_N_ELEMENTS(extra_folders)] = {FALSE};
    if (user == 0) {
        /* The first user has every special name, so any sample has them all. */
        for (guint i = 0; i < 5; i++)
            pick[i] = TRUE;
    } else {
        Rng r;
        rng_for(&r, m->seed, TAG_FOLDER, user, 0, 0);
        guint k = rng_range(&r, 1, 4);
        guint start = rng_below(&r, G_N_ELEMENTS(extra_folders));
        for (guint i = 0; i < k; i++)
            pick[(start + i) % G_N_ELEMENTS(extra_folders)] = TRUE;
    }
    guint extras = 0;
    for (guint i = 0; i < G_N_ELEMENTS(extra_folders); i++) {
        if (!pick[i])
            continue;
        for (guint j = 0; j < 3 && extra_folders[i][j]; j++) {
            g_ptr_array_add(names, g_strdup(extra_folders[i][j]));
            extras++;
        }
    }
    *extras_r = extras;
    return names;
}

/* The role of folder name. */
static FolderRole
folder_role(const char *name)
{
    if (strcmp(name, "INBOX") == 0)
        return F_INBOX;
    if (strcmp(name, "Sent") == 0)
        return F_SENT;
    if (strcmp(name, "Drafts") == 0)
        return F_DRAFTS;
    if (strcmp(name, "Trash") == 0)
        return F_TRASH;
    return F_OTHER;
}

/* The kind of message msg of folder fi drawn from its generator (first draw). */
static MsmSampleMessageKind
draw_kind(Rng *r, FolderRole role, guint msg)
{
    guint32 d = rng_below(r, 100);
    if (role == F_INBOX && msg < MSM_SAMPLE_MSG_KINDS)
        return (MsmSampleMessageKind)msg;
    if (role == F_DRAFTS)
        return MSM_SAMPLE_MSG_PLAIN;
    if (d < 35)
        return MSM_SAMPLE_MSG_PLAIN;
    if (d < 55)
        return MSM_SAMPLE_MSG_ALTERNATIVE;
    if (d < 75)
        return MSM_SAMPLE_MSG_MIXED;
    if (d < 83)
        return MSM_SAMPLE_MSG_LATIN1;
    if (d < 93)
        return MSM_SAMPLE_MSG_UTF8;
    if (d < 97)
        return MSM_SAMPLE_MSG_BARE_LF;
    return MSM_SAMPLE_MSG_NUL;
}

/* The kind of message msg of folder of user, without generating it. */
MsmSampleMessageKind
msm_sample_model_message_kind(const MsmSampleModel *model, guint user, const char *folder,
                              guint msg)
{
    guint extras;
    GPtrArray *names = user_folder_names(model, user, &extras);
    guint fi = 0;
    for (; fi < names->len; fi++)
        if (strcmp(names->pdata[fi], folder) == 0)
            break;
    g_ptr_array_unref(names);
    Rng r;
    rng_for(&r, model->seed, TAG_MESSAGE, user, fi, msg);
    return draw_kind(&r, folder_role(folder), msg);
}

/* One planned message of a folder. */
typedef struct {
    guint32 uid;
    guint32 flags;
    GPtrArray *keywords; /* char* */
    gint64 date;
    BodyPlan *plan;
} MsgSpec;

/* Frees a message spec. */
static void
spec_free(MsgSpec *s)
{
    if (s == NULL)
        return; /* already handed out */
    g_ptr_array_unref(s->keywords);
    plan_free(s->plan);
    g_free(s);
}

typedef struct {
    GPtrArray *specs; /* MsgSpec* */
    guint next;
} FolderGen;

/* Frees a folder's generator. */
static void
folder_gen_free(FolderGen *g)
{
    g_ptr_array_unref(g->specs);
    g_free(g);
}

/* MsmMessageNextFunc over a folder's planned messages. */
static gboolean
folder_gen_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    (void)error;
    FolderGen *g = data;
    *msg_r = NULL;
    if (g->next >= g->specs->len)
        return TRUE;
    MsgSpec *s = g->specs->pdata[g->next];
    g->specs->pdata[g->next] = NULL; /* handed out: free it as soon as possible */
    g->next++;
    MsmMessage *msg = msm_message_new();
    msg->uid = s->uid;
    msg->flags = s->flags;
    for (guint i = 0; i < s->keywords->len; i++)
        g_ptr_array_add(msg->keywords, g_strdup(s->keywords->pdata[i]));
    msg->internal_date = s->date;
    msg->size = s->plan->size;
    msg->body = plan_body(s->plan);
    spec_free(s);
    *msg_r = msg;
    return TRUE;
}

/* A correspondent other than user u. */
static Party
other_party(const MsmSampleModel *m, guint user, Rng *r)
{
    if (m->users->len > 1 && rng_chance(r, 40)) {
        guint o = (user + 1 + rng_below(r, m->users->len - 1)) % m->users->len;
        const MsmSampleUser *ou = m->users->pdata[o];
        return (Party){ou->cn, ou->mail};
    }
    return outsiders[rng_below(r, G_N_ELEMENTS(outsiders))];
}

/* Envelope address of u at the store delivery channel, for Received:. (transfer full) */
static char *
store_for_address(const MsmSampleModel *m, const MsmSampleUser *u)
{
    if (m->store_channel == NULL)
        return g_strdup(u->mail);
    if (u->domain != 0 && m->schema == MSM_SAMPLE_SCHEMA_SIMS) {
        /* SIMS 4.0: user?domain@sims-ms-daemon for hosted domains (facts §2.1) */
        char *lp = g_strndup(u->store_user, strcspn(u->store_user, "@"));
        char *s = g_strdup_printf("%s?%s@%s-daemon", lp, user_domain(m, u), m->store_channel);
        g_free(lp);
        return s;
    }
    return g_strdup_printf("%s@%s-daemon", u->store_user, m->store_channel);
}

/* The mean number of messages per user folder_message_count() gives. */
#define SAMPLE_DEFAULT_MESSAGES 30

/* Number of messages of a folder. */
static guint
folder_message_count(Rng *r, FolderRole role, const char *name)
{
    switch (role) {
    case F_INBOX:
        return MSM_SAMPLE_MSG_KINDS + rng_range(r, 1, 12);
    case F_SENT:
        return rng_range(r, 1, 6);
    case F_DRAFTS:
        return rng_range(r, 0, 2);
    case F_TRASH:
        return rng_range(r, 0, 4);
    case F_OTHER:
    default:
        return strchr(name, '/') == NULL &&
                       (strcmp(name, "Ärger") == 0 || strcmp(name, "Projects") == 0)
                   ? rng_range(r, 0, 2)
                   : rng_range(r, 0, 8);
    }
}

/* The folders of one user with streamed messages. (transfer full) */
GPtrArray *
msm_sample_model_folders(const MsmSampleModel *m, guint user)
{
    g_return_val_if_fail(m != NULL && user < m->users->len, NULL);
    const MsmSampleUser *u = m->users->pdata[user];
    guint extras;
    GPtrArray *names = user_folder_names(m, user, &extras);
    guint nfolders = names->len;
    GPtrArray *result = g_ptr_array_new_with_free_func((GDestroyNotify)msm_folder_free);
    GPtrArray *gens = g_ptr_array_new();
    gint64 used = 0;
    char *for_addr = store_for_address(m, u);
    Party self = {u->cn, u->mail};

    Rng fr;
    rng_for(&fr, m->seed, TAG_FOLDER, user, 1, 0);
    for (guint fi = 0; fi < nfolders; fi++) {
        const char *name = names->pdata[fi];
        FolderRole role = folder_role(name);
        FolderGen *g = g_new0(FolderGen, 1);
        g->specs = g_ptr_array_new_with_free_func((GDestroyNotify)spec_free);
        guint count = folder_message_count(&fr, role, name);
        if (m->messages > 0) /* scaled from the default mean of about 30 per user */
            count = MAX(role == F_INBOX ? (guint)MSM_SAMPLE_MSG_KINDS : 0u,
                        (guint)(((guint64)count * m->messages + 15) / SAMPLE_DEFAULT_MESSAGES));
        guint32 uid = rng_range(&fr, 1, 3);
        gint64 date = m->epoch + rng_below(&fr, 200 * 86400);
        for (guint k = 0; k < count; k++) {
            Rng r;
            rng_for(&r, m->seed, TAG_MESSAGE, user, fi, k);
            MsgParams p = {0};
            p.kind = draw_kind(&r, role, k);
            p.seed = rng_next(&r);
            p.index = k + 1;
            p.date = date;
            if (role == F_SENT || role == F_DRAFTS) {
                p.from = self;
                p.to = other_party(m, user, &r);
                p.for_addr = NULL;
            } else {
                p.from = other_party(m, user, &r);
                p.to = self;
                p.for_addr = for_addr;
            }
            if (p.kind == MSM_SAMPLE_MSG_MIXED) {
                if (user == 0 && role == F_INBOX && k == MSM_SAMPLE_MSG_MIXED)
                    p.attach_bytes = 300000; /* one message well above 200 KB */
                else if (rng_chance(&r, 10))
                    p.attach_bytes = rng_range(&r, 60000, 150000);
                else
                    p.attach_bytes = rng_range(&r, 1500, 12000);
            }
            MsgSpec *s = g_new0(MsgSpec, 1);
            s->uid = uid;
            s->date = date;
            s->keywords = g_ptr_array_new_with_free_func(g_free);
            switch (role) {
            case F_SENT:
                s->flags = MSM_FLAG_SEEN;
                break;
            case F_DRAFTS:
                s->flags = MSM_FLAG_DRAFT | MSM_FLAG_SEEN;
                break;
            case F_TRASH:
                s->flags = MSM_FLAG_SEEN | (rng_chance(&r, 50) ? MSM_FLAG_DELETED : 0);
                break;
            case F_INBOX:
            case F_OTHER:
            default:
                s->flags = (rng_chance(&r, 70) ? MSM_FLAG_SEEN : 0) |
                           (rng_chance(&r, 20) ? MSM_FLAG_ANSWERED : 0) |
                           (rng_chance(&r, 10) ? MSM_FLAG_FLAGGED : 0) |
                           (rng_chance(&r, 3) ? MSM_FLAG_DELETED : 0);
                if (rng_chance(&r, 12))
                    g_ptr_array_add(s->keywords, g_strdup("$Label1"));
                if (role == F_INBOX && rng_chance(&r, 6))
                    g_ptr_array_add(s->keywords, g_strdup("Junk"));
                else if (rng_chance(&r, 20))
                    g_ptr_array_add(s->keywords, g_strdup("NonJunk"));
                break;
            }
            s->plan = build_message(m, &p);
            used += s->plan->size;
            g_ptr_array_add(g->specs, s);
            uid += 1 + (rng_chance(&fr, 25) ? rng_range(&fr, 1, 5) : 0); /* gaps */
            date += rng_range(&fr, 300, 3 * 86400);
        }
        g_ptr_array_add(gens, g);
    }

    MsmOwner *owner = msm_owner_new(u->store_user);
    owner->quota_bytes = u->quota_bytes;
    owner->quota_messages = u->quota_messages;
    owner->used_bytes = used;
    for (guint fi = 0; fi < nfolders; fi++) {
        const char *name = names->pdata[fi];
        gboolean last_extra = extras > 1 && fi == nfolders - 1;
        if (folder_role(name) == F_TRASH || (last_extra && user % 2 == 1))
            continue;
        g_ptr_array_add(owner->subscriptions, g_strdup(name));
    }

    Rng vr;
    rng_for(&vr, m->seed, TAG_FOLDER, user, 2, 0);
    for (guint fi = 0; fi < nfolders; fi++) {
        FolderGen *g = gens->pdata[fi];
        MsmFolder *f = msm_folder_new(msm_owner_copy(owner), names->pdata[fi]);
        f->uidvalidity = (guint32)(m->epoch + user * 1009u + fi * 17u + rng_below(&vr, 86400));
        guint32 last = 0;
        for (guint k = 0; k < g->specs->len; k++)
            last = ((MsgSpec *)g->specs->pdata[k])->uid;
        f->uidnext = last + 1 + rng_below(&vr, 3);
        f->message_count = g->specs->len;
        g_ptr_array_add(f->acl, msm_ace_new(u->store_user, "lrswipcda"));
        gboolean first_extra = extras > 0 && fi == 4;
        gboolean last_extra = extras > 0 && fi == nfolders - 1;
        if (first_extra && user % 2 == 0)
            g_ptr_array_add(f->acl, msm_ace_new("anyone", "lr"));
        if (last_extra && user % 3 == 0 && m->users->len > 1) {
            const MsmSampleUser *o = m->users->pdata[(user + 1) % m->users->len];
            g_ptr_array_add(f->acl, msm_ace_new(o->store_user, "lrswi"));
        }
        f->messages = msm_message_iter_new(folder_gen_next, g, (GDestroyNotify)folder_gen_free);
        g_ptr_array_add(result, f);
    }
    msm_owner_free(owner);
    g_ptr_array_unref(gens);
    g_ptr_array_unref(names);
    g_free(for_addr);
    return result;
}

/* ====================================================================== */
/* queue                                                                  */
/* ====================================================================== */

/* PMDF queue file name: attempts in complemented base 36, random part, suffix. */
static char *
queue_file_name(Rng *r, guint attempts, gboolean held)
{
    static const char digits36[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    guint v = 36 * 36 - 1 - MIN(attempts, 36u * 36u - 1);
    GString *s = g_string_new(NULL);
    g_string_append_c(s, digits36[v / 36]);
    g_string_append_c(s, digits36[v % 36]);
    for (int i = 0; i < 11; i++)
        g_string_append_c(s, alnum[rng_below(r, sizeof alnum - 1)]);
    g_string_append(s, held ? ".HELD" : ".00");
    return g_string_free(s, FALSE);
}

/* The channels with a queue directory. (transfer none) */
const char *const *
msm_sample_model_channels(const MsmSampleModel *model)
{
    static const char *const ims[] = {"l",         "ims-ms",    "tcp_local", "tcp_intranet",
                                      "tcp_auth",  "hold",      "native",    "pipe",
                                      "bitbucket", "reprocess", NULL};
    static const char *const sims[] = {
        "l", "sims-ms", "tcp_local", "tcp_intranet", "hold", "native", "pipe", "bitbucket", NULL};
    static const char *const nms[] = {"local", "tcp_local", "tcp_intranet", "hold", NULL};
    switch (model->schema) {
    case MSM_SAMPLE_SCHEMA_SIMS:
        return sims;
    case MSM_SAMPLE_SCHEMA_NMS:
        return nms;
    case MSM_SAMPLE_SCHEMA_1:
    case MSM_SAMPLE_SCHEMA_2:
    default:
        return ims;
    }
}

/* The user whose mail the hold channel keeps: the first uid starting with 's'
 * (seed 003 moves "(uid=s*)" as a batch), else the first user. */
static const MsmSampleUser *
hold_user(const MsmSampleModel *m)
{
    for (guint i = 0; i < m->users->len; i++) {
        const MsmSampleUser *u = m->users->pdata[i];
        if (g_ascii_tolower(u->uid[0]) == 's')
            return u;
    }
    return m->users->pdata[0];
}

/* Adds one queued message. */
static void
queue_add(GPtrArray *out, const MsmSampleModel *m, const char *channel, guint n, Rng *r, Party from,
          GPtrArray *rcpts, guint attempts, gboolean held)
{
    MsmQueuedMessage *q = msm_queued_message_new(channel);
    g_free(q->sender);
    q->sender = g_strdup(from.addr);
    for (guint i = 0; i < rcpts->len; i++) {
        MsmRecipient *rc = msm_recipient_new(rcpts->pdata[i]);
        if (rng_chance(r, 30))
            rc->original = g_strdup_printf("rfc822;%s", (const char *)rcpts->pdata[i]);
        g_ptr_array_add(q->recipients, rc);
    }
    q->attempts = attempts;
    q->created = m->epoch + 400 * 86400 + rng_below(r, 2 * 86400);
    q->last_attempt = attempts > 0 ? q->created + (gint64)attempts * rng_range(r, 600, 3600) : 0;
    q->held = held;
    q->name = queue_file_name(r, attempts, held);
    if (m->schema == MSM_SAMPLE_SCHEMA_NMS) {
        /* NMS queue file names (docs/formats/queue-nms3.md, queue-nms4.md): the same
         * random part, without the PMDF attempts prefix */
        char *id = g_strndup(q->name + 2, 11);
        g_free(q->name);
        q->name = strcmp(m->version, "nms-3.x") == 0
                      ? g_strconcat(held ? "hf" : "qf", id, NULL)
                      : g_strconcat(id, held ? ".held" : ".msg", NULL);
        g_free(id);
    }
    MsgParams p = {0};
    static const MsmSampleMessageKind kinds[] = {MSM_SAMPLE_MSG_PLAIN, MSM_SAMPLE_MSG_ALTERNATIVE,
                                                 MSM_SAMPLE_MSG_MIXED, MSM_SAMPLE_MSG_LATIN1};
    p.kind = kinds[rng_below(r, G_N_ELEMENTS(kinds))];
    p.from = from;
    p.to = (Party){"", rcpts->pdata[0]};
    p.to.name = p.to.addr;
    p.for_addr = NULL;
    p.date = q->created;
    p.seed = rng_next(r);
    p.index = n + 1;
    p.attach_bytes = rng_range(r, 800, 4000);
    BodyPlan *plan = build_message(m, &p);
    q->body = plan_body(plan);
    plan_free(plan);
    g_ptr_array_add(out, q);
}

/* The queued messages. (transfer full) */
GPtrArray *
msm_sample_model_queue(const MsmSampleModel *m)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)msm_queued_message_free);
    const char *channels[3] = {"tcp_local", m->store_channel ? m->store_channel : "local",
                               "tcp_intranet"};
    for (guint c = 0; c < 3; c++) {
        Rng r;
        rng_for(&r, m->seed, TAG_QUEUE, c, 0, 0);
        guint n = rng_range(&r, 2, 4);
        for (guint i = 0; i < n; i++) {
            const MsmSampleUser *u = m->users->pdata[rng_below(&r, m->users->len)];
            GPtrArray *rcpts = g_ptr_array_new_with_free_func(g_free);
            Party from;
            if (c == 0) { /* outbound to the Internet */
                from = (Party){u->cn, u->mail};
                guint k = rng_range(&r, 1, 3);
                for (guint j = 0; j < k; j++)
                    g_ptr_array_add(rcpts,
                                    g_strdup(outsiders[(i + j) % G_N_ELEMENTS(outsiders)].addr));
            } else if (c == 1) { /* waiting for the store */
                from = outsiders[rng_below(&r, G_N_ELEMENTS(outsiders))];
                g_ptr_array_add(rcpts, g_strdup(u->mail));
                if (m->users->len > 1 && rng_chance(&r, 40))
                    g_ptr_array_add(
                        rcpts,
                        g_strdup(((MsmSampleUser *)m->users->pdata[(u->index + 1) % m->users->len])
                                     ->mail));
            } else { /* to another internal host */
                from = (Party){u->cn, u->mail};
                char *lp = ascii_token(u->sn);
                g_ptr_array_add(rcpts,
                                g_strdup_printf("%s@intranet.siroe.com", *lp ? lp : "office"));
                g_free(lp);
            }
            queue_add(out, m, channels[c], i, &r, from, rcpts, rng_range(&r, 0, 5), FALSE);
            g_ptr_array_unref(rcpts);
        }
    }
    /* A message the MTA gave up retrying and parked (.HELD). */
    {
        Rng r;
        rng_for(&r, m->seed, TAG_QUEUE, 3, 0, 0);
        const MsmSampleUser *u = m->users->pdata[0];
        GPtrArray *rcpts = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(rcpts, g_strdup("nobody@unreachable.example.net"));
        queue_add(out, m, "tcp_local", 99, &r, (Party){u->cn, u->mail}, rcpts, 5, TRUE);
        g_ptr_array_unref(rcpts);
    }
    /* Two messages in the hold channel for one user (seed 003's batch move). */
    {
        Rng r;
        rng_for(&r, m->seed, TAG_QUEUE, 4, 0, 0);
        const MsmSampleUser *u = hold_user(m);
        for (guint i = 0; i < 2; i++) {
            GPtrArray *rcpts = g_ptr_array_new_with_free_func(g_free);
            g_ptr_array_add(rcpts, g_strdup(u->mail));
            queue_add(out, m, "hold", i, &r, outsiders[i], rcpts, 0, FALSE);
            g_ptr_array_unref(rcpts);
        }
    }
    return out;
}

/* ====================================================================== */
/* configuration files                                                    */
/* ====================================================================== */

typedef struct {
    const MsmSampleModel *m;
    const SampleVersion *v;
    GPtrArray *files;
    Rng rng;
    char *lib;       /* programs (master_command, IMAGE) */
    char *store_lib; /* directory of ims_master */
    char *log;       /* MTA logs */
    char *db;        /* MTA databases */
} Cfg;

/* Adds text as configuration file relpath with permission bits mode. */
static void
cfg_add(Cfg *c, const char *relpath, GString *text, guint mode)
{
    GBytes *b = g_bytes_new(text->str, text->len);
    MsmConfigFile *f = msm_config_file_new(relpath, b);
    f->mode = mode;
    g_bytes_unref(b);
    g_ptr_array_add(c->files, f);
    g_string_free(text, TRUE);
}

/* Appends a formatted line and "\n". */
static void G_GNUC_PRINTF(2, 3) cl(GString *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_string_append_vprintf(s, fmt, ap);
    va_end(ap);
    g_string_append_c(s, '\n');
}

/* The first comment lines of a file, with comment character cc. */
static void
cfg_banner(const Cfg *c, GString *s, char cc, const char *what)
{
    cl(s, "%c %s", cc, what);
    cl(s,
       "%c Generated by msmigrate sample for %s (seed %" G_GUINT64_FORMAT
       "); see docs/formats/sample.md",
       cc, c->m->version, c->m->seed);
}

/* TRUE for the SIMS 4.0 generation of the MTA files. */
static gboolean
cfg_sims(const Cfg *c)
{
    return c->m->schema == MSM_SAMPLE_SCHEMA_SIMS;
}

/* " pool NAME" for MS/iMS channel lines, "" for SIMS (its job controller has queues). */
#define POOL(c, name) (cfg_sims(c) ? "" : " pool " name)

/* imta.cnf: rewrite rules, a blank line, channel blocks (facts §2.1). */
static void
cfg_imta_cnf(Cfg *c)
{
    const MsmSampleModel *m = c->m;
    const char *store = m->store_channel;
    GString *s = g_string_new(NULL);
    cfg_banner(c, s, '!', "imta.cnf - MTA rewrite rules and channel definitions");
    cl(s, "!");
    cl(s, "! Part I: rewrite rules (a blank line ends this part)");
    cl(s, "! Local and hosted domains");
    for (guint i = 0; i < m->domains->len; i++)
        cl(s, "%-31s $U%%$D@%s", ((MsmSampleDomain *)m->domains->pdata[i])->name, m->host);
    cl(s, "%-31s $U%%$D@%s", m->host, m->host);
    cl(s, "! Intranet hosts");
    cl(s, "%-31s $U%%$H$D@tcp_intranet-daemon", ".intranet.siroe.com");
    cl(s, "%-31s $U%%$D@tcp_intranet-daemon", "intranet.siroe.com");
    cl(s, "! Literal IP addresses");
    cl(s, "%-31s $E$R${INTERNAL_IP,$L}$U%%[$L]@tcp_intranet-daemon", "[]");
    cl(s, "! Top-level domains");
    if (cfg_sims(c))
        cl(s, "<%s/internet.rules", m->mta_config_path);
    else
        cl(s, "<IMTA_TABLE:internet.rules");
    cl(s, "%s", "");
    cl(s, "! Part II: channel definitions");
    if (!cfg_sims(c)) {
        cl(s, "defaults notices 1 2 4 7 copywarnpost copysendpost postheadonly "
              "noswitchchannel immnonurgent maxjobs 7 defaulthost siroe.com siroe.com");
        cl(s, "%s", "");
    }
    cl(s, "! delivery channel to local /var/mail store");
    cl(s, "l subdirs 20 viaaliasrequired maxjobs 7%s", POOL(c, "LOCAL_POOL"));
    cl(s, "%s", m->host);
    cl(s, "%s", "");
    cl(s, "! delivery channel to the message store");
    cl(s,
       "%s defragment subdirs 20 notices 1 7 14 21 28 backoff \"pt5m\" \"pt10m\" "
       "\"pt30m\" \"pt1h\" \"pt2h\" \"pt4h\" maxjobs 2%s fileinto $U+$S@$D",
       store, POOL(c, "IMS_POOL"));
    cl(s, "%s-daemon", store);
    cl(s, "%s", "");
    cl(s, "! outgoing and incoming Internet mail");
    cl(s, "tcp_local smtp mx single_sys identnonenumeric%s \\", POOL(c, "SMTP_POOL"));
    if (cfg_sims(c)) {
        cl(s, "  inner loopcheck remotehost");
    } else {
        cl(s, "  switchchannel maysaslserver saslswitchchannel tcp_auth maytlsserver \\");
        cl(s, "  inner loopcheck remotehost");
    }
    cl(s, "tcp-daemon");
    cl(s, "%s", "");
    cl(s, "tcp_intranet smtp mx single_sys subdirs 20 noreverse maxjobs 7%s%s",
       POOL(c, "SMTP_POOL"),
       cfg_sims(c) ? "" : " maytlsserver allowswitchchannel saslswitchchannel tcp_auth");
    cl(s, "tcp_intranet-daemon");
    cl(s, "%s", "");
    if (!cfg_sims(c)) {
        cl(s, "tcp_auth smtp mx single_sys mustsaslserver maytlsserver");
        cl(s, "tcp_auth-daemon");
        cl(s, "%s", "");
    }
    cl(s, "! mail for users whose mailDeliveryOption is hold waits here");
    cl(s, "hold");
    cl(s, "hold-daemon");
    cl(s, "%s", "");
    cl(s, "native defragment");
    cl(s, "native-daemon");
    cl(s, "%s", "");
    cl(s, "pipe single");
    cl(s, "pipe-daemon");
    cl(s, "%s", "");
    cl(s, "bitbucket");
    cl(s, "bitbucket-daemon");
    if (!cfg_sims(c)) {
        cl(s, "%s", "");
        cl(s, "reprocess");
        cl(s, "reprocess-daemon");
    }
    cfg_add(c, "imta.cnf", s, 0644);
}

/* option.dat: KEY=VALUE global MTA options (facts §2.2). */
static void
cfg_option_dat(Cfg *c)
{
    GString *s = g_string_new(NULL);
    cfg_banner(c, s, '!', "option.dat - global MTA options");
    cl(s, "LOG_MESSAGE_ID=1");
    cl(s, "LOG_FILTER=1");
    cl(s, "LOG_CONNECTION=3");
    cl(s, "SEPARATE_CONNECTION_LOG=1");
    cl(s, "MAX_NOTIFYS = 2");
    cl(s, "ALIAS_ENTRY_CACHE_TIMEOUT=600");
    if (!cfg_sims(c)) {
        cl(s, "ENABLE_SIEVE_BODY=1");
        cl(s, "! how directory delivery options map to channels (MS62-AG bgaih)");
        cl(s, "DELIVERY_OPTIONS=*mailbox=$M%%$\\\\$2I$_+$2S@ims-ms-daemon, &members=*, \\");
        cl(s, "*native=$M@native-daemon, /hold=@hold-daemon:$A, *unix=$M@native-daemon, \\");
        cl(s, "&file=+$F@native-daemon, &@members_offline=*, program=$M%%$P@pipe-daemon, \\");
        cl(s, "#forward=**, *^!autoreply=$M+$D@bitbucket");
    }
    cfg_add(c, "option.dat", s, 0644);
}

/* job_controller.cnf: SIMS [QUEUE=] form or MS [POOL=] form (facts §2.3). */
static void
cfg_job_controller(Cfg *c)
{
    GString *s = g_string_new(NULL);
    cfg_banner(c, s, '!', "job_controller.cnf - Job Controller configuration");
    if (cfg_sims(c)) {
        cl(s, "debug=0");
        cl(s, "udp_port=27442");
        cl(s, "slave_command=NULL");
        cl(s, "capacity=100");
        cl(s, "[QUEUE=DEFAULT]");
        cl(s, "job_limit=10");
        cl(s, "capacity=200");
        cl(s, "[QUEUE=SINGLE_JOB]");
        cl(s, "job_limit=1");
        cl(s, "[CHANNEL=l]");
        cl(s, "master_command=%s/l_master", c->lib);
        cl(s, "[CHANNEL=sims-ms]");
        cl(s, "master_command=%s/ims_master", c->store_lib);
        cl(s, "[CHANNEL=tcp_*]");
        cl(s, "master_command=%s/tcp_smtp_client", c->lib);
    } else {
        char *secret = rng_base64(&c->rng, 12);
        cl(s, "tcp_port=27442");
        cl(s, "secret=%s", secret);
        cl(s, "slave_command=NULL");
        cl(s, "max_life_age=3600");
        cl(s, "debug=0");
        cl(s, "[POOL=DEFAULT]");
        cl(s, "job_limit=10");
        cl(s, "[POOL=LOCAL_POOL]");
        cl(s, "job_limit=10");
        cl(s, "[POOL=IMS_POOL]");
        cl(s, "job_limit=1");
        cl(s, "[POOL=SMTP_POOL]");
        cl(s, "job_limit=10");
        cl(s, "[CHANNEL=l]");
        cl(s, "master_command=%s/l_master", c->lib);
        cl(s, "[CHANNEL=ims-ms]");
        cl(s, "master_command=%s/ims_master", c->store_lib);
        cl(s, "[CHANNEL=tcp_*]");
        cl(s, "anon_host=0");
        cl(s, "master_command=%s/tcp_smtp_client", c->lib);
        g_free(secret);
    }
    cfg_add(c, "job_controller.cnf", s, 0600);
}

/* dispatcher.cnf: global options then [SERVICE=] sections (facts §2.4). */
static void
cfg_dispatcher(Cfg *c)
{
    GString *s = g_string_new(NULL);
    cfg_banner(c, s, '!', "dispatcher.cnf - Dispatcher configuration");
    cl(s, "MIN_PROCS=0");
    cl(s, "MAX_PROCS=5");
    cl(s, "MIN_CONNS=5");
    cl(s, "MAX_CONNS=20");
    cl(s, "MAX_LIFE_TIME=86400");
    cl(s, "! 16%%64 is 100 written in radix 16");
    cl(s, "MAX_LIFE_CONNS=16%%64");
    cl(s, "MAX_SHUTDOWN=2");
    cl(s, "!");
    cl(s, "[SERVICE=SMTP]");
    cl(s, "PORT=25");
    cl(s, "IMAGE=%s/tcp_smtp_server", c->lib);
    cl(s, "LOGFILE=%s/tcp_smtp_server.log", c->log);
    if (strcmp(c->m->family, "ms") == 0) {
        cl(s, "!");
        cl(s, "[SERVICE=SMTP_SUBMIT]");
        cl(s, "PORT=587");
        cl(s, "TLS_PORT=465");
        cl(s, "IMAGE=%s/tcp_smtp_server", c->lib);
        cl(s, "LOGFILE=%s/tcp_submit_server.log", c->log);
    }
    cfg_add(c, "dispatcher.cnf", s, 0644);
}

/* imta_tailor: IMTA_xxx=value, directories with a trailing '/' (facts §2.5). */
static void
cfg_imta_tailor(Cfg *c)
{
    const MsmSampleModel *m = c->m;
    const char *mc = m->mta_config_path;
    GString *s = g_string_new(NULL);
    cfg_banner(c, s, '!', "imta_tailor - locations of the MTA's files");
    cl(s, "IMTA_ROOT=%s/", cfg_sims(c) ? "/opt/SUNWmail/imta" : m->base_path);
    cl(s, "IMTA_TABLE=%s/", mc);
    cl(s, "IMTA_LIB=%s/", c->lib);
    cl(s, "IMTA_EXE=%s/", c->lib);
    cl(s, "IMTA_QUEUE=%s/", m->queue_path);
    cl(s, "IMTA_LOG=%s/", c->log);
    cl(s, "IMTA_CONFIG_FILE=%s/imta.cnf", mc);
    cl(s, "IMTA_OPTION_FILE=%s/option.dat", mc);
    cl(s, "IMTA_MAPPING_FILE=%s/mappings", mc);
    cl(s, "IMTA_ALIAS_FILE=%s/aliases", mc);
    cl(s, "IMTA_ALIAS_DATABASE=%s/aliasesdb", c->db);
    cl(s, "IMTA_CONVERSION_FILE=%s/conversions", mc);
    cl(s, "IMTA_DISPATCHER_CONFIG=%s/dispatcher.cnf", mc);
    cl(s, "IMTA_JBC_CONFIG_FILE=%s/job_controller.cnf", mc);
    cl(s, "IMTA_REVERSE_DATABASE=%s/reversedb", c->db);
    cl(s, "IMTA_GENERAL_DATABASE=%s/generaldb", c->db);
    if (cfg_sims(c)) {
        cl(s, "IMTA_ADMIN_PROPERTY=/etc/opt/SUNWmail/admin/adminserver.properties");
        cl(s, "IMTA_AUTHDL_DATABASE=%s/authdldb", c->db);
    }
    cl(s, "IMTA_USER=%s", cfg_sims(c) ? "inetmail" : "mailsrv");
    cl(s, "IMTA_WORLD_GROUP=mail");
    cl(s, "IMTA_RETURN_PERIOD=1");
    cl(s, "IMTA_VERSION_LIMIT=5");
    cfg_add(c, "imta_tailor", s, 0644);
}

/* mappings: tables named in column 1, a blank line, indented entries (facts §2.6). */
static void
cfg_mappings(Cfg *c)
{
    GString *s = g_string_new(NULL);
    cfg_banner(c, s, '!', "mappings - MTA mapping tables");
    cl(s, "%s", "");
    cl(s, "PORT_ACCESS");
    cl(s, "%s", "");
    cl(s, "  *|*|*|*|*  $C$|INTERNAL_IP;$3|$Y$E");
    cl(s, "  *  $YEXTERNAL");
    cl(s, "%s", "");
    cl(s, "INTERNAL_IP");
    cl(s, "%s", "");
    cl(s, "  $(192.168.0.0/16)  $Y");
    cl(s, "  $(10.0.0.0/8)  $Y");
    cl(s, "  127.0.0.1  $Y");
    cl(s, "  *  $N");
    cl(s, "%s", "");
    cl(s, "ORIG_SEND_ACCESS");
    cl(s, "%s", "");
    cl(s, "  tcp_local|*|tcp_local|*  $NRelaying$ not$ allowed");
    cl(s, "%s", "");
    cl(s, "CHARSET-CONVERSION");
    cl(s, "%s", "");
    cl(s, "  IN-CHAN=tcp_*;OUT-CHAN=%s;CONVERT  Yes", c->m->store_channel);
    cfg_add(c, "mappings", s, 0644);
}

/* aliases: address: address [address ...] (facts §2.7). */
static void
cfg_aliases(Cfg *c)
{
    const MsmSampleModel *m = c->m;
    const MsmSampleUser *admin = m->users->pdata[0];
    GString *s = g_string_new(NULL);
    cfg_banner(c, s, '!', "aliases - aliases that are not in the directory");
    cl(s, "postmaster@siroe.com: %s", admin->mail);
    cl(s, "MAILER-DAEMON@siroe.com: postmaster@siroe.com");
    cl(s, "abuse@siroe.com: postmaster@siroe.com");
    cl(s, "root@%s: postmaster@siroe.com", m->host);
    cl(s, "mailsrv@siroe.com: mailsrv@native-daemon");
    if (m->users->len > 1) {
        cl(s, "! a trailing backslash continues a line");
        cl(s, "helpdesk@siroe.com: %s \\", admin->mail);
        cl(s, "  %s", ((MsmSampleUser *)m->users->pdata[1])->mail);
    }
    cfg_add(c, "aliases", s, 0644);
}

/* conversions: name=value; entries (facts §2.8). */
static void
cfg_conversions(Cfg *c)
{
    GString *s = g_string_new(NULL);
    cfg_banner(c, s, '!', "conversions - MIME conversion entries");
    cl(s, "in-chan=tcp_local; out-chan=%s;", c->m->store_channel);
    cl(s, "  in-type=application; in-subtype=ms-tnef;");
    cl(s, "  out-type=application; out-subtype=octet-stream; out-mode=block;");
    cl(s, "  command=\"/usr/local/sbin/tnef-unpack $INPUT_FILE $OUTPUT_FILE\"");
    cfg_add(c, "conversions", s, 0644);
}

/* internet.rules: rewrite rules for top-level domains, included from imta.cnf. */
static void
cfg_internet_rules(Cfg *c)
{
    static const char *const tlds[] = {".com", ".net", ".org", ".edu", ".gov", ".de",
                                       ".fr",  ".jp",  ".uk",  ".cn",  ".se"};
    GString *s = g_string_new(NULL);
    cfg_banner(c, s, '!', "internet.rules - rewrite rules for the top-level domains");
    for (gsize i = 0; i < G_N_ELEMENTS(tlds); i++)
        cl(s, "%-15s $U%%$H$D@tcp-daemon", tlds[i]);
    cfg_add(c, "internet.rules", s, 0644);
}

/* backup-groups.conf: group=regex (facts §2.10). */
static void
cfg_backup_groups(Cfg *c)
{
    GString *s = g_string_new(NULL);
    cl(s, "groupA=[a-l].*");
    cl(s, "groupB=[m-z].*");
    cl(s, "groupC=[A-Z0-9].*");
    cfg_add(c, "backup-groups.conf", s, 0644);
}

/* tcp_local_option: option=value lines (facts §2.9). */
static void
cfg_tcp_local_option(Cfg *c)
{
    GString *s = g_string_new(NULL);
    cfg_banner(c, s, '!', "tcp_local_option - options of channel tcp_local");
    cl(s, "ALLOW_ETRNS_PER_SESSION=2");
    cl(s, "ALLOW_RECIPIENTS_PER_TRANSACTION=100");
    cl(s, "ALLOW_TRANSACTIONS_PER_SESSION=10");
    cl(s, "LOG_CONNECTION=1");
    cl(s, "MAX_CLIENT_THREADS=20");
    cfg_add(c, "tcp_local_option", s, 0644);
}

/* One configutil parameter. */
typedef struct {
    const char *name;
    const char *value;
} Param;

/* Appends name = "value" (the project's msg.conf model). */
static void
msgconf_line(GString *s, const char *name, const char *value)
{
    cl(s, "%s = \"%s\"", name, value);
}

/* The user/group base DN and the default organization DN of the model. */
static void
model_bases(const MsmSampleModel *m, const char **base_r, char **deforg_r)
{
    switch (m->schema) {
    case MSM_SAMPLE_SCHEMA_SIMS:
        *base_r = "o=internet";
        *deforg_r = g_strdup("dc=siroe,dc=com,o=internet");
        break;
    case MSM_SAMPLE_SCHEMA_NMS:
        *base_r = "o=siroe.com";
        *deforg_r = g_strdup("o=siroe.com");
        break;
    case MSM_SAMPLE_SCHEMA_1:
    case MSM_SAMPLE_SCHEMA_2:
    default:
        *base_r = "o=isp";
        *deforg_r = g_strdup("o=siroe.com,o=isp");
        break;
    }
}

/* msg.conf (and from 6.3 msg.conf.defaults) in the project's model (facts §1.2-1.3). */
static void
cfg_msg_conf(Cfg *c)
{
    const MsmSampleModel *m = c->m;
    const char *basedn;
    char *deforg;
    model_bases(m, &basedn, &deforg);
    GDateTime *inst = g_date_time_new_from_unix_utc(m->epoch - 30 * 86400);
    char *ts = g_strdup_printf("%04d%02d%02d%02d%02d%02d", g_date_time_get_year(inst),
                               g_date_time_get_month(inst), g_date_time_get_day_of_month(inst),
                               g_date_time_get_hour(inst), g_date_time_get_minute(inst),
                               g_date_time_get_second(inst));
    g_date_time_unref(inst);
    char *binddn = g_strdup_printf("uid=msg-admin-%s-%s, ou=People, %s", m->host, ts, deforg);
    char *cred = rng_base64(&c->rng, 9);
    char *partition = g_strdup_printf("%s/partition/primary", m->store_path);
    gboolean split = (c->v->flags & V_DEFAULTS_FILE) != 0;

    /* Install-time defaults: msg.conf.defaults from 6.3 on, else part of msg.conf. */
    const Param defaults[] = {
        {"service.imap.enable", "yes"},
        {"service.imap.port", "143"},
        {"service.imap.enablesslport", "no"},
        {"service.imap.sslport", "993"},
        {"service.imap.maxsessions", "4000"},
        {"service.imap.maxthreads", "250"},
        {"service.imap.numprocesses", "1"},
        {"service.imap.idletimeout", "30"},
        {"service.pop.enable", "yes"},
        {"service.pop.port", "110"},
        {"service.pop.banner", "%h %p service (%P %V)"},
        {"service.pop.maxsessions", "600"},
        {"service.pop.allowanonymouslogin", "no"},
        {"service.http.enable", "yes"},
        {"service.http.port", "80"},
        {"service.http.sslport", "443"},
        {"service.smtp.port", "25"},
        {"service.loginseparator", "+"},
        {"service.authcachettl", "900"},
        {"store.defaultpartition", "primary"},
        {"local.store.maxlog", "10"},
        {"local.imta.enable", "yes"},
        {"local.mmp.enable", "no"},
        {"local.ens.enable", "yes"},
        {"local.sched.enable", "yes"},
        {"local.snmp.enable", "no"},
        {"local.ugldapport", "389"},
        {"local.ugldapusessl", "no"},
        {"sasl.default.ldap.has_plain_passwords", "0"},
        {"sasl.default.auto_transition", "0"},
        {"local.webmail.smime.enable", "no"},
        {"logfile.default.loglevel", "Notice"},
        {"logfile.imap.loglevel", "Notice"},
        {"logfile.pop.loglevel", "Notice"},
        {"logfile.http.loglevel", "Notice"},
        {"logfile.imta.loglevel", "Notice"},
        {"logfile.admin.loglevel", "Notice"},
    };
    const Param site[] = {
        {"local.hostname", m->host},
        {"local.instancedir", m->base_path},
        {"local.imta.hostnamealiases", "smtp.siroe.com,mailhost.siroe.com"},
        {"local.ugldaphost", m->ldap_host},
        {"local.ugldapbinddn", binddn},
        {"local.ugldapbindcred", cred},
        {"local.ugldapbasedn", basedn},
        {"local.ugldapdeforgdn", deforg},
        {"local.imta.schematag", m->schema == MSM_SAMPLE_SCHEMA_2 ? "sun" : "ims50"},
        {"service.defaultdomain", "siroe.com"},
        {"service.dcroot", m->schema == MSM_SAMPLE_SCHEMA_2 ? "o=isp" : "o=internet"},
        {"store.partition.primary.path", partition},
        {"store.quotaexceededmsg", "Your mailbox is over its quota; please delete old "
                                   "messages."},
        {"store.quotaexceededmsg;lang-de", "Ihr Postfach ist voll; bitte löschen Sie alte "
                                           "Nachrichten."},
        {"alarm.msgalarmnoticehost", "localhost"},
        {"alarm.msgalarmnoticercpt", "postmaster@siroe.com"},
        {"service.imap.maxsessions", "2000"},
        {"logfile.imta.loglevel", "Information"},
    };

    GString *s = g_string_new(NULL);
    cfg_banner(c, s, '#', "msg.conf - Messaging Server configuration (name = \"value\")");
    if (split)
        cl(s, "# Only values that differ from msg.conf.defaults are set here.");
    if (c->v->flags & V_LOCAL_CONF)
        cl(s, "# Values kept in the configuration directory are not repeated here.");
    GHashTable *in_site = g_hash_table_new(g_str_hash, g_str_equal);
    for (gsize i = 0; i < G_N_ELEMENTS(site); i++)
        g_hash_table_add(in_site, (gpointer)site[i].name);
    if (!split) {
        for (gsize i = 0; i < G_N_ELEMENTS(defaults); i++)
            if (!g_hash_table_contains(in_site, defaults[i].name))
                msgconf_line(s, defaults[i].name, defaults[i].value);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(site); i++)
        msgconf_line(s, site[i].name, site[i].value);
    cfg_add(c, "msg.conf", s, 0600);
    if (split) {
        GString *d = g_string_new(NULL);
        cfg_banner(c, d, '#', "msg.conf.defaults - install-time defaults (never edited)");
        for (gsize i = 0; i < G_N_ELEMENTS(defaults); i++)
            msgconf_line(d, defaults[i].name, defaults[i].value);
        cfg_add(c, "msg.conf.defaults", d, 0644);
    }
    g_hash_table_unref(in_site);
    g_free(ts);
    g_free(binddn);
    g_free(cred);
    g_free(partition);
    g_free(deforg);
}

/* SIMS 4.0: sims.cnf and ims/ims.cnf, "key value" lines (facts §1.1, §3.3). */
static void
cfg_sims_cnf(Cfg *c)
{
    const MsmSampleModel *m = c->m;
    GString *s = g_string_new(NULL);
    cfg_banner(c, s, '#', "sims.cnf - SIMS 4.0 component configuration (modelled keys)");
    cl(s, "sims-hostname %s", m->host);
    cl(s, "sims-root /opt/SUNWmail");
    cl(s, "sims-etc-root /etc/opt/SUNWmail");
    cl(s, "sims-var-root /var/opt/SUNWmail");
    cl(s, "sims-ldap-server %s:389", m->ldap_host);
    cl(s, "sims-basedn o=internet");
    cl(s, "sims-default-domain siroe.com");
    cfg_add(c, "sims.cnf", s, 0644);

    GString *i = g_string_new(NULL);
    cfg_banner(c, i, '#', "ims.cnf - SIMS 4.0 message store and access configuration");
    cl(i, "ims-ldap-server %s", m->ldap_host);
    cl(i, "ims-basedn o=internet");
    cl(i, "ims-varmail OFF");
    cl(i, "ims-proxy OFF");
    cl(i, "ims-bind-address *(pop3=110:imap=143)");
    const char *roots[] = {"user", "index", "data", "hash", "adm", "shared"};
    for (gsize k = 0; k < G_N_ELEMENTS(roots); k++)
        cl(i, "ims-%s-root %s/%s", roots[k], m->store_path, roots[k]);
    cfg_add(c, "ims/ims.cnf", i, 0644);
}

/* NMS 3.x/4.x: the few local files of an instance (modelled; the rest is in LDAP). */
static void
cfg_nms(Cfg *c)
{
    const MsmSampleModel *m = c->m;
    GString *s = g_string_new(NULL);
    cfg_banner(c, s, '#', "nsmsg.conf - local settings of this NMS instance (model)");
    cl(s, "# The server configuration itself lives in the configuration directory");
    cl(s, "# (o=NetscapeRoot, nsmsgCfg* entries); these values locate it.");
    msgconf_line(s, "nsmsg.instance", m->instance);
    msgconf_line(s, "nsmsg.serverroot", m->base_path);
    msgconf_line(s, "nsmsg.hostname", m->host);
    char *url = g_strdup_printf("ldap://%s:389/o=NetscapeRoot", m->ldap_host);
    msgconf_line(s, "nsmsg.configdirectory", url);
    g_free(url);
    msgconf_line(s, "nsmsg.ugdirectory", "ldap://ldap.siroe.com:389/o=siroe.com");
    msgconf_line(s, "nsmsg.store", m->store_path);
    msgconf_line(s, "nsmsg.queue", m->queue_path);
    cfg_add(c, "nsmsg.conf", s, 0600);

    GString *d = g_string_new(NULL);
    cfg_banner(c, d, '#', "localdomains - mail domains delivered locally (model)");
    for (guint k = 0; k < m->domains->len; k++)
        cl(d, "%s", ((MsmSampleDomain *)m->domains->pdata[k])->name);
    cfg_add(c, "localdomains", d, 0644);
}

/* The configuration files of the version. (transfer full) */
GPtrArray *
msm_sample_model_config(const MsmSampleModel *model)
{
    g_return_val_if_fail(model != NULL, NULL);
    Cfg c = {0};
    c.m = model;
    c.v = model_version(model);
    c.files = g_ptr_array_new_with_free_func((GDestroyNotify)msm_config_file_free);
    rng_for(&c.rng, model->seed, TAG_CONFIG, 0, 0, 0);
    if (model->schema == MSM_SAMPLE_SCHEMA_NMS) {
        cfg_nms(&c);
        return c.files;
    }
    if (model->schema == MSM_SAMPLE_SCHEMA_SIMS) {
        c.lib = g_strdup("/opt/SUNWmail/imta/lib");
        c.store_lib = g_strdup("/opt/SUNWmail/ims/lib");
        c.log = g_strdup("/var/opt/SUNWmail/imta/log");
        c.db = g_strdup("/var/opt/SUNWmail/imta/db");
        cfg_sims_cnf(&c);
    } else if (strcmp(model->family, "ims") == 0) {
        char *sroot = g_path_get_dirname(model->base_path);
        c.lib = g_strconcat(sroot, "/bin/msg/imta/lib", NULL);
        c.store_lib = g_strdup(c.lib);
        c.log = g_strconcat(model->base_path, "/log/imta", NULL);
        c.db = g_strconcat(model->base_path, "/imta/db", NULL);
        g_free(sroot);
        cfg_msg_conf(&c);
    } else {
        c.lib = g_strconcat(model->base_path, "/lib", NULL);
        c.store_lib = g_strdup(c.lib);
        c.log = g_strconcat(model->base_path, "/data/log", NULL);
        c.db = g_strconcat(model->base_path, "/data/db", NULL);
        cfg_msg_conf(&c);
    }
    cfg_imta_cnf(&c);
    cfg_option_dat(&c);
    cfg_job_controller(&c);
    cfg_dispatcher(&c);
    cfg_imta_tailor(&c);
    cfg_mappings(&c);
    cfg_aliases(&c);
    cfg_conversions(&c);
    cfg_internet_rules(&c);
    if (!cfg_sims(&c))
        cfg_backup_groups(&c);
    cfg_tcp_local_option(&c);
    g_free(c.lib);
    g_free(c.store_lib);
    g_free(c.log);
    g_free(c.db);
    return c.files;
}

/* ====================================================================== */
/* directory entries                                                      */
/* ====================================================================== */

typedef struct {
    const MsmSampleModel *m;
    GPtrArray *out;   /* MsmEntry* */
    GHashTable *made; /* lowercased DNs already emitted (membership only) */
} Dir;

/* Starts entry dn with the object classes (NULL-terminated), once per DN. (transfer none) */
static MsmEntry *
dir_entry(Dir *d, const char *dn, const char *const *classes)
{
    char *key = g_ascii_strdown(dn, -1);
    if (g_hash_table_contains(d->made, key)) {
        g_free(key);
        return NULL;
    }
    g_hash_table_add(d->made, key);
    MsmEntry *e = msm_entry_new(dn);
    for (const char *const *c = classes; *c; c++)
        msm_entry_add_string(e, "objectClass", *c);
    g_ptr_array_add(d->out, e);
    return e;
}

/* Adds value to attribute name of e. */
static void
put(MsmEntry *e, const char *name, const char *value)
{
    msm_entry_add_string(e, name, value);
}

/* Adds a formatted value. */
static void G_GNUC_PRINTF(3, 4) putf(MsmEntry *e, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *v = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    msm_entry_add_string(e, name, v);
    g_free(v);
}

/* Emits dc=... nodes for domain below root, parents first; returns the domain node DN.
 * The last node gets leaf_classes. (transfer full) */
static char *
dir_dc_chain(Dir *d, const char *domain, const char *root, const char *const *leaf_classes)
{
    static const char *const plain[] = {"top", "domain", NULL};
    char **labels = g_strsplit(domain, ".", -1);
    guint n = g_strv_length(labels);
    char *dn = g_strdup(root);
    for (guint i = n; i > 0; i--) {
        char *child = g_strdup_printf("dc=%s,%s", labels[i - 1], dn);
        g_free(dn);
        dn = child;
        MsmEntry *e = dir_entry(d, dn, i == 1 ? leaf_classes : plain);
        if (e != NULL)
            put(e, "dc", labels[i - 1]);
    }
    g_strfreev(labels);
    return dn;
}

/* Emits ou=People and ou=Groups below parent. */
static void
dir_ous(Dir *d, const char *parent)
{
    static const char *const ou[] = {"top", "organizationalUnit", NULL};
    const char *names[] = {"People", "Groups"};
    for (int i = 0; i < 2; i++) {
        char *dn = g_strdup_printf("ou=%s,%s", names[i], parent);
        MsmEntry *e = dir_entry(d, dn, ou);
        if (e != NULL)
            put(e, "ou", names[i]);
        g_free(dn);
    }
}

/* The DN of the organization (or DC node) holding domain index di. (transfer full) */
static char *
domain_org_dn(const MsmSampleModel *m, guint di)
{
    const char *name = ((MsmSampleDomain *)m->domains->pdata[di])->name;
    switch (m->schema) {
    case MSM_SAMPLE_SCHEMA_SIMS: {
        GString *s = g_string_new(NULL);
        char **labels = g_strsplit(name, ".", -1);
        for (char **l = labels; *l; l++)
            g_string_append_printf(s, "dc=%s,", *l);
        g_strfreev(labels);
        g_string_append(s, "o=internet");
        return g_string_free(s, FALSE);
    }
    case MSM_SAMPLE_SCHEMA_NMS:
        return g_strdup("o=siroe.com");
    case MSM_SAMPLE_SCHEMA_1:
    case MSM_SAMPLE_SCHEMA_2:
    default:
        return g_strdup_printf("o=%s,o=isp", name);
    }
}

/* The DN of user u. (transfer full) */
static char *
user_dn(const MsmSampleModel *m, const MsmSampleUser *u)
{
    char *org = domain_org_dn(m, u->domain);
    char *dn = g_strdup_printf("uid=%s,ou=People,%s", u->uid, org);
    g_free(org);
    return dn;
}

/* Adds the attributes every schema's user entry has. */
static void
dir_user_common(const MsmSampleModel *m, MsmEntry *e, const MsmSampleUser *u)
{
    put(e, "uid", u->uid);
    put(e, "cn", u->cn);
    put(e, "sn", u->sn);
    put(e, "givenName", u->given);
    put(e, "mail", u->mail);
    for (guint i = 0; i < u->alternates->len; i++)
        put(e, "mailAlternateAddress", u->alternates->pdata[i]);
    put(e, "mailHost", m->host);
    put(e, "mailDeliveryOption", "mailbox");
    putf(e, "mailQuota", "%" G_GINT64_FORMAT, u->quota_bytes);
}

/* The user entries and groups of every schema. */
static void
dir_users_groups(Dir *d)
{
    const MsmSampleModel *m = d->m;
    static const char *const sims_user[] = {"top",           "person",      "organizationalPerson",
                                            "inetOrgPerson", "emailPerson", NULL};
    static const char *const nms_user[] = {"top",
                                           "person",
                                           "organizationalPerson",
                                           "inetOrgPerson",
                                           "mailRecipient",
                                           "nsMessagingServerUser",
                                           NULL};
    static const char *const s1_user[] = {"top",
                                          "person",
                                          "organizationalPerson",
                                          "inetOrgPerson",
                                          "inetUser",
                                          "ipUser",
                                          "inetMailUser",
                                          "inetLocalMailRecipient",
                                          "nsManagedPerson",
                                          "userPresenceProfile",
                                          NULL};
    static const char *const s2_user[] = {
        "top",      "person", "organizationalPerson", "inetOrgPerson",
        "inetUser", "ipUser", "inetMailUser",         "inetLocalMailRecipient",
        NULL};
    static const char *const sims_group[] = {"top", "groupOfNames", "rfc822MailGroup", "emailGroup",
                                             NULL};
    static const char *const nms_group[] = {"top", "groupOfUniqueNames", "mailGroup", NULL};
    static const char *const s1_group[] = {
        "top", "groupOfUniqueNames", "inetMailGroup", "inetLocalMailRecipient", "nsManagedMailList",
        NULL};
    static const char *const s2_group[] = {"top", "groupOfUniqueNames", "inetMailGroup",
                                           "inetLocalMailRecipient", NULL};
    const char *const *uc, *const *gc;
    switch (m->schema) {
    case MSM_SAMPLE_SCHEMA_SIMS:
        uc = sims_user;
        gc = sims_group;
        break;
    case MSM_SAMPLE_SCHEMA_NMS:
        uc = nms_user;
        gc = nms_group;
        break;
    case MSM_SAMPLE_SCHEMA_1:
        uc = s1_user;
        gc = s1_group;
        break;
    case MSM_SAMPLE_SCHEMA_2:
    default:
        uc = s2_user;
        gc = s2_group;
        break;
    }
    gboolean nms3 = strcmp(m->version, "nms-3.x") == 0;
    for (guint i = 0; i < m->users->len; i++) {
        const MsmSampleUser *u = m->users->pdata[i];
        char *dn = user_dn(m, u);
        MsmEntry *e = dir_entry(d, dn, uc);
        g_free(dn);
        if (e == NULL)
            continue;
        dir_user_common(m, e, u);
        switch (m->schema) {
        case MSM_SAMPLE_SCHEMA_SIMS:
            putf(e, "dataSource", "SIMS 4.0 (msmigrate sample %" G_GUINT64_FORMAT ")", m->seed);
            break;
        case MSM_SAMPLE_SCHEMA_NMS:
            if (u->quota_messages >= 0)
                putf(e, "nsmsgNumMsgQuota", "%" G_GINT64_FORMAT, u->quota_messages);
            if (nms3)
                putf(e, "mailMessageStore", "%s/%s", m->store_path, u->store_user);
            else
                put(e, "mailMessageStore", "primary");
            break;
        case MSM_SAMPLE_SCHEMA_1:
        case MSM_SAMPLE_SCHEMA_2:
        default:
            putf(e, "mailMsgQuota", "%" G_GINT64_FORMAT, u->quota_messages);
            put(e, "inetUserStatus", "active");
            put(e, "mailUserStatus", "active");
            put(e, "preferredLanguage", u->language);
            putf(e, "dataSource", "msmigrate sample %s seed %" G_GUINT64_FORMAT, m->version,
                 m->seed);
            break;
        }
        put(e, "userPassword", u->password);
    }
    char *deforg = domain_org_dn(m, 0);
    const char *member_attr = m->schema == MSM_SAMPLE_SCHEMA_SIMS ? "member" : "uniqueMember";
    const char *rfc822_attr =
        m->schema == MSM_SAMPLE_SCHEMA_SIMS ? "rfc822MailMember" : "mgrpRFC822MailMember";
    for (guint i = 0; i < m->groups->len; i++) {
        const MsmSampleGroup *g = m->groups->pdata[i];
        char *dn = g_strdup_printf("cn=%s,ou=Groups,%s", g->cn, deforg);
        MsmEntry *e = dir_entry(d, dn, gc);
        g_free(dn);
        if (e == NULL)
            continue;
        put(e, "cn", g->cn);
        put(e, "mail", g->mail);
        put(e, "mailHost", m->host);
        if (g->postmaster)
            put(e, "description", "postmaster: imsdirmig cannot migrate this entry (seed 003)");
        for (guint k = 0; k < g->members->len; k++) {
            const MsmSampleUser *u = m->users->pdata[g_array_index(g->members, guint, k)];
            char *udn = user_dn(m, u);
            put(e, member_attr, udn);
            g_free(udn);
        }
        for (guint k = 0; k < g->external->len; k++) {
            if (k == 0 && m->schema == MSM_SAMPLE_SCHEMA_NMS)
                putf(e, rfc822_attr, "%s%%%s", (const char *)g->external->pdata[k],
                     outsiders[0].name); /* NMS-DS4 "addr%Full Name" form */
            else
                put(e, rfc822_attr, g->external->pdata[k]);
        }
        if (m->schema != MSM_SAMPLE_SCHEMA_SIMS)
            put(e, "mgrpErrorsTo", "mailto:postmaster@siroe.com");
        if (m->schema == MSM_SAMPLE_SCHEMA_1 || m->schema == MSM_SAMPLE_SCHEMA_2) {
            put(e, "inetMailGroupStatus", "active");
            put(e, "mailDeliveryOption", "members");
        }
    }
    g_free(deforg);
}

/* The user/group directory entries, parents first. (transfer full) */
GPtrArray *
msm_sample_model_directory(const MsmSampleModel *m)
{
    g_return_val_if_fail(m != NULL, NULL);
    Dir d = {m, g_ptr_array_new_with_free_func((GDestroyNotify)msm_entry_free),
             g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)};
    static const char *const org[] = {"top", "organization", NULL};
    MsmEntry *e;
    switch (m->schema) {
    case MSM_SAMPLE_SCHEMA_SIMS: {
        /* seed 003: suffix o=internet, users and groups in the DC tree (one DIT) */
        static const char *const leaf[] = {"top", "domain", NULL};
        e = dir_entry(&d, "o=internet", org);
        put(e, "o", "internet");
        for (guint i = 0; i < m->domains->len; i++) {
            const char *name = ((MsmSampleDomain *)m->domains->pdata[i])->name;
            char *node = dir_dc_chain(&d, name, "o=internet", leaf);
            /* associatedDomain may not be on "domain"; SIMS kept the name in the DN only. */
            dir_ous(&d, node);
            g_free(node);
        }
        break;
    }
    case MSM_SAMPLE_SCHEMA_NMS:
        e = dir_entry(&d, "o=siroe.com", org);
        put(e, "o", "siroe.com");
        dir_ous(&d, "o=siroe.com");
        break;
    case MSM_SAMPLE_SCHEMA_1: {
        gboolean ida = (model_version(m)->flags & V_NSMANAGED) != 0;
        const char *leaf5[] = {"top",        "domain",          "inetDomain",
                               "mailDomain", "nsManagedDomain", NULL};
        const char *leaf6[] = {"top", "domain", "inetDomain", "mailDomain", NULL};
        e = dir_entry(&d, "o=internet", org);
        put(e, "o", "internet");
        for (guint i = 0; i < m->domains->len; i++) {
            const char *name = ((MsmSampleDomain *)m->domains->pdata[i])->name;
            char *node = dir_dc_chain(&d, name, "o=internet", ida ? leaf5 : leaf6);
            MsmEntry *dn = d.out->pdata[d.out->len - 1];
            if (strcmp(msm_entry_dn(dn), node) == 0) {
                putf(dn, "inetDomainBaseDN", "o=%s,o=isp", name);
                put(dn, "inetDomainStatus", "active");
                put(dn, "mailDomainStatus", "active");
                put(dn, "preferredMailHost", m->host);
                put(dn, "mailRoutingHosts", m->host);
            }
            g_free(node);
        }
        e = dir_entry(&d, "o=isp", org);
        put(e, "o", "isp");
        const char *orgc5[] = {"top", "organization", "nsManagedDomain", NULL};
        for (guint i = 0; i < m->domains->len; i++) {
            const char *name = ((MsmSampleDomain *)m->domains->pdata[i])->name;
            char *odn = g_strdup_printf("o=%s,o=isp", name);
            e = dir_entry(&d, odn, ida ? orgc5 : org);
            put(e, "o", name);
            dir_ous(&d, odn);
            g_free(odn);
        }
        break;
    }
    case MSM_SAMPLE_SCHEMA_2:
    default: {
        static const char *const orgc[] = {"top",        "organization", "sunManagedOrganization",
                                           "inetDomain", "mailDomain",   NULL};
        e = dir_entry(&d, "o=isp", org);
        put(e, "o", "isp");
        for (guint i = 0; i < m->domains->len; i++) {
            const char *name = ((MsmSampleDomain *)m->domains->pdata[i])->name;
            char *odn = g_strdup_printf("o=%s,o=isp", name);
            e = dir_entry(&d, odn, orgc);
            put(e, "o", name);
            put(e, "sunPreferredDomain", name);
            put(e, "associatedDomain", name);
            put(e, "inetDomainStatus", "active");
            put(e, "mailDomainStatus", "active");
            put(e, "preferredMailHost", m->host);
            put(e, "mailRoutingHosts", m->host);
            dir_ous(&d, odn);
            g_free(odn);
        }
        break;
    }
    }
    dir_users_groups(&d);
    g_hash_table_unref(d.made);
    return d.out;
}

/* The NMS 4.x o=NetscapeRoot entries (empty otherwise). (transfer full) */
GPtrArray *
msm_sample_model_netscaperoot(const MsmSampleModel *m)
{
    g_return_val_if_fail(m != NULL, NULL);
    Dir d = {m, g_ptr_array_new_with_free_func((GDestroyNotify)msm_entry_free),
             g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)};
    if (!(model_version(m)->flags & V_NETSCAPEROOT)) {
        g_hash_table_unref(d.made);
        return d.out;
    }
    static const char *const org[] = {"top", "organization", NULL};
    static const char *const ou[] = {"top", "organizationalUnit", NULL};
    MsmEntry *e = dir_entry(&d, "o=NetscapeRoot", org);
    put(e, "o", "NetscapeRoot");
    e = dir_entry(&d, "ou=siroe.com,o=NetscapeRoot", ou);
    put(e, "ou", "siroe.com");
    char *host = g_strdup_printf("cn=%s,ou=siroe.com,o=NetscapeRoot", m->host);
    static const char *const container[] = {"top", "nsmsgCfgContainer", NULL};
    e = dir_entry(&d, host, container);
    put(e, "cn", m->host);
    char *srv = g_strdup_printf("cn=msg-%s,%s", m->instance, host);
    static const char *const server[] = {"top", "netscapeMessagingServer", NULL};
    e = dir_entry(&d, srv, server);
    putf(e, "cn", "msg-%s", m->instance);
    putf(e, "nsServerID", "msg-%s", m->instance);
    char *cfg = g_strdup_printf("cn=configuration,%s", srv);
    e = dir_entry(&d, cfg, container);
    put(e, "cn", "configuration");

    /* (cn, class, attribute pairs) below cn=configuration; "store" children follow it. */
    struct {
        const char *rdn, *cls;
        const char *attrs[12];
    } nodes[] = {
        {"cn=gen", "nsmsgCfgGen", {NULL}},
        {"cn=store",
         "nsmsgCfgStore",
         {"nsmsgDefaultPartition", "primary", "nsmsgDefaultMailboxQuota", "20971520",
          "nsmsgQuotaWarn", "90", "nsmsgUmask", "077", "nsmsgExpireStart", "23", "nsmsgAdmins",
          "admin"}},
        {"cn=primary,cn=store", "nsmsgCfgPartition", {"nsmsgPath", NULL}},
        {"cn=service",
         "nsmsgCfgService",
         {"nsmsgDcroot", "o=siroe.com", "nsmsgDefaultdomain", "siroe.com", "nsmsgLoginseparator",
          "+", NULL}},
        {"cn=pop,cn=service", "nsmsgCfgPOP", {NULL}},
        {"cn=imap,cn=service", "nsmsgCfgIMAP", {NULL}},
        {"cn=http,cn=service", "nsmsgCfgHTTP", {NULL}},
        {"cn=mta", "nsmsgCfgMTA", {NULL}},
        {"cn=router,cn=mta", "nsmsgCfgMTARouter", {"nsmsgRoutingattribute", "mailHost", NULL}},
    };
    char *partition = g_strdup_printf("%s/partition/primary", m->store_path);
    for (gsize i = 0; i < G_N_ELEMENTS(nodes); i++) {
        char *dn = g_strdup_printf("%s,%s", nodes[i].rdn, cfg);
        const char *classes[] = {"top", nodes[i].cls, NULL};
        e = dir_entry(&d, dn, classes);
        char *cn = g_strndup(nodes[i].rdn + 3, strcspn(nodes[i].rdn + 3, ","));
        put(e, "cn", cn);
        g_free(cn);
        for (int k = 0; k < 12 && nodes[i].attrs[k]; k += 2) {
            const char *v = nodes[i].attrs[k + 1];
            put(e, nodes[i].attrs[k], v ? v : partition);
        }
        if (strcmp(nodes[i].cls, "nsmsgCfgMTARouter") == 0)
            for (guint k = 0; k < m->domains->len; k++)
                put(e, "nsmsgLocalmaildomains", ((MsmSampleDomain *)m->domains->pdata[k])->name);
        g_free(dn);
    }
    g_free(partition);
    g_free(cfg);
    g_free(srv);
    g_free(host);
    g_hash_table_unref(d.made);
    return d.out;
}

/* ====================================================================== */
/* writing a sample                                                       */
/* ====================================================================== */

/* Frees what a result holds and zeroes it. */
void
msm_sample_result_clear(MsmSampleResult *res)
{
    if (res == NULL)
        return;
    for (int k = 0; k < MSM_KIND_COUNT; k++)
        g_free(res->missing[k]);
    g_free(res->ldif_path);
    memset(res, 0, sizeof *res);
}

/* FALSE with MSM_ERROR_INVALID_ARGUMENT unless dir is absent or an empty directory. */
static gboolean
check_target_dir(const char *dir, GError **error)
{
    if (!g_file_test(dir, G_FILE_TEST_EXISTS) && !g_file_test(dir, G_FILE_TEST_IS_SYMLINK))
        return TRUE;
    if (!msm_is_real_dir(dir)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "sample directory %s exists and is not a directory (or is a symbolic "
                    "link): name a new or empty directory",
                    dir);
        return FALSE;
    }
    GError *err = NULL;
    GDir *d = g_dir_open(dir, 0, &err);
    if (d == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read directory %s: %s", dir,
                    err->message);
        g_error_free(err);
        return FALSE;
    }
    const char *first = g_dir_read_name(d);
    gboolean empty = first == NULL;
    g_dir_close(d);
    if (!empty) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "sample directory %s is not empty: msmigrate sample never writes over "
                    "existing files; name a new or empty directory",
                    dir);
        return FALSE;
    }
    return TRUE;
}

/* mkdir -p parent/child. */
static gboolean
mkdir_below(const char *parent, const char *child, GError **error)
{
    char *p = g_build_filename(parent, child, NULL);
    gboolean ok = msm_mkdir_p(p, FALSE, error);
    g_free(p);
    return ok;
}

/* Creates the directories of layout l: configuration, MTA configuration, the
 * store (with its primary partition, or the SIMS store roots of ims.cnf), the
 * queue with one directory per channel, and the (empty) pid directory of
 * layout.md: a sample is a deployment whose services are stopped. */
static gboolean
make_skeleton(const MsmSampleModel *m, const MsmLayout *l, GError **error)
{
    const char *dirs[] = {msm_layout_config_dir(l), msm_layout_mta_config_dir(l),
                          msm_layout_store_dir(l), msm_layout_queue_dir(l),
                          msm_layout_run_dir(l)};
    for (gsize i = 0; i < G_N_ELEMENTS(dirs); i++)
        if (!msm_mkdir_p(dirs[i], FALSE, error))
            return FALSE;
    if (m->schema == MSM_SAMPLE_SCHEMA_SIMS) {
        static const char *const roots[] = {"user", "index", "data", "hash", "adm", "shared"};
        for (gsize i = 0; i < G_N_ELEMENTS(roots); i++)
            if (!mkdir_below(msm_layout_store_dir(l), roots[i], error))
                return FALSE;
    } else if (strcmp(m->version, "nms-3.x") != 0) {
        /* store_root/partition/primary: classic store and NMS 4.x (facts §3.1) */
        if (!mkdir_below(msm_layout_store_dir(l), "partition/primary", error))
            return FALSE;
    }
    for (const char *const *c = msm_sample_model_channels(m); *c; c++)
        if (!mkdir_below(msm_layout_queue_dir(l), *c, error))
            return FALSE;
    return TRUE;
}

/* The product's path for directory path below root: the product path the root
 * stands for (prefix) followed by path relative to root. (transfer full) */
static char *
product_path(const char *root, const char *prefix, const char *path)
{
    gsize rl = strlen(root);
    const char *rel = "";
    if (strncmp(path, root, rl) == 0 && (path[rl] == '/' || path[rl] == '\0'))
        rel = path + rl;
    if (*prefix == '\0' && *rel == '\0')
        return g_strdup("/");
    return g_strconcat(prefix, rel, NULL);
}

/* Opens a writer of codec ref, adding the codec's name to a failure. */
static gpointer
open_writer(const MsmCodecRef *ref, MsmCtx *ctx, const char *dir, const char *version,
            GError **error)
{
    GError *err = NULL;
    gpointer w = ref->codec->writer_open(ctx, dir, version, &err);
    if (w == NULL) {
        if (err == NULL)
            g_set_error(&err, MSM_ERROR, MSM_ERROR_FAILED, "writer_open failed");
        g_propagate_prefixed_error(error, err, "%s codec %s: ", msm_kind_name(ref->codec->kind),
                                   ref->codec->name);
    }
    return w;
}

/* Puts one item (then frees it), prefixing a failure with the codec's name. */
static gboolean
put_item(const MsmCodecRef *ref, gpointer w, MsmItem *item, GError **error)
{
    GError *err = NULL;
    gboolean ok = ref->codec->writer_put(w, item, &err);
    if (!ok) {
        if (err == NULL)
            g_set_error(&err, MSM_ERROR, MSM_ERROR_FAILED, "writer_put failed");
        g_propagate_prefixed_error(error, err,
                                   "%s codec %s, item %s: ", msm_kind_name(ref->codec->kind),
                                   ref->codec->name, item->key);
    }
    msm_item_free(item);
    return ok;
}

/* Commits and closes a writer. */
static gboolean
finish_writer(const MsmCodecRef *ref, gpointer w, gboolean ok, GError **error)
{
    if (ok) {
        GError *err = NULL;
        if (!ref->codec->writer_commit(w, &err)) {
            if (err == NULL)
                g_set_error(&err, MSM_ERROR, MSM_ERROR_FAILED, "writer_commit failed");
            g_propagate_prefixed_error(error, err,
                                       "%s codec %s: commit: ", msm_kind_name(ref->codec->kind),
                                       ref->codec->name);
            ok = FALSE;
        }
    }
    ref->codec->writer_close(w);
    return ok;
}

/* Writes the configuration files through the config codec. */
static gboolean
write_config(const MsmCodecRef *ref, MsmCtx *ctx, const MsmSampleModel *m, const char *dir,
             guint64 *count_r, GError **error)
{
    gpointer w = open_writer(ref, ctx, dir, m->version, error);
    if (w == NULL)
        return FALSE;
    GPtrArray *files = msm_sample_model_config(m);
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < files->len; i++) {
        MsmConfigFile *f = files->pdata[i];
        files->pdata[i] = NULL; /* moved into the item */
        char *key = g_strconcat("config/", f->relpath, NULL);
        ok = put_item(ref, w, msm_item_new(MSM_KIND_CONFIG, key, f), error);
        g_free(key);
        if (ok)
            (*count_r)++;
    }
    g_ptr_array_unref(files);
    return finish_writer(ref, w, ok, error);
}

/* Writes every user's folders through the store codec, one user at a time. */
static gboolean
write_store(const MsmCodecRef *ref, MsmCtx *ctx, const MsmSampleModel *m, const char *dir,
            guint64 *count_r, GError **error)
{
    gpointer w = open_writer(ref, ctx, dir, m->version, error);
    if (w == NULL)
        return FALSE;
    gboolean ok = TRUE;
    for (guint u = 0; ok && u < m->users->len; u++) {
        GPtrArray *folders = msm_sample_model_folders(m, u);
        for (guint i = 0; ok && i < folders->len; i++) {
            MsmFolder *f = folders->pdata[i];
            folders->pdata[i] = NULL;
            char *key = g_strdup_printf("user/%s/%s", f->owner->user, f->name);
            ok = put_item(ref, w, msm_item_new(MSM_KIND_STORE, key, f), error);
            g_free(key);
            if (ok)
                (*count_r)++;
        }
        g_ptr_array_unref(folders);
    }
    return finish_writer(ref, w, ok, error);
}

/* Writes the queued messages through the queue codec. */
static gboolean
write_queue(const MsmCodecRef *ref, MsmCtx *ctx, const MsmSampleModel *m, const char *dir,
            guint64 *count_r, GError **error)
{
    gpointer w = open_writer(ref, ctx, dir, m->version, error);
    if (w == NULL)
        return FALSE;
    GPtrArray *queue = msm_sample_model_queue(m);
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < queue->len; i++) {
        MsmQueuedMessage *q = queue->pdata[i];
        queue->pdata[i] = NULL;
        char *key = g_strdup_printf("queue/%s/%s", q->channel, q->name);
        ok = put_item(ref, w, msm_item_new(MSM_KIND_QUEUE, key, q), error);
        g_free(key);
        if (ok)
            (*count_r)++;
    }
    g_ptr_array_unref(queue);
    return finish_writer(ref, w, ok, error);
}

/* Writes entries to an LDIF file at path with a comment naming the sample. */
static gboolean
write_ldif(const char *path, const MsmSampleModel *m, GPtrArray *entries, const char *what,
           guint64 *count_r, GError **error)
{
    MsmLdifWriter *w = msm_ldif_writer_open(path, 0600, error);
    if (w == NULL)
        return FALSE;
    char *comment = g_strdup_printf("%s\nmsmigrate sample %s, %u users, seed %" G_GUINT64_FORMAT
                                    " (docs/formats/sample.md)",
                                    what, m->version, m->users->len, m->seed);
    gboolean ok = msm_ldif_writer_comment(w, comment, error);
    g_free(comment);
    for (guint i = 0; ok && i < entries->len; i++)
        ok = msm_ldif_writer_put(w, entries->pdata[i], error);
    if (ok)
        *count_r += msm_ldif_writer_count(w);
    if (!msm_ldif_writer_close(w, ok ? error : NULL))
        ok = FALSE;
    return ok;
}

/* Writes ldap/directory.ldif (and ldap/netscaperoot.ldif for NMS 4.x) and ldap/README. */
static gboolean
write_directory(const MsmSampleModel *m, const char *dir, MsmSampleResult *res, GError **error)
{
    char *ldap = g_build_filename(dir, "ldap", NULL);
    char *path = g_build_filename(ldap, "directory.ldif", NULL);
    char *nsroot = g_build_filename(ldap, "netscaperoot.ldif", NULL);
    char *readme = g_build_filename(ldap, "README", NULL);
    gboolean ok = msm_mkdir_p(ldap, FALSE, error);
    const char *basedn;
    char *deforg;
    model_bases(m, &basedn, &deforg);
    if (ok) {
        GPtrArray *entries = msm_sample_model_directory(m);
        ok = write_ldif(path, m, entries, "user/group directory", &res->items[MSM_KIND_DIRECTORY],
                        error);
        g_ptr_array_unref(entries);
    }
    GPtrArray *cfgents = msm_sample_model_netscaperoot(m);
    gboolean has_nsroot = cfgents->len > 0;
    if (ok && has_nsroot)
        ok = write_ldif(nsroot, m, cfgents, "configuration directory (o=NetscapeRoot)",
                        &res->items[MSM_KIND_DIRECTORY], error);
    g_ptr_array_unref(cfgents);
    if (ok) {
        GString *t = g_string_new(NULL);
        g_string_append_printf(
            t,
            "These LDIF files hold the directory entries of this %s sample (%u users, seed "
            "%" G_GUINT64_FORMAT "), parents before children, in the schema of that version "
            "(see docs/formats/sample.md). Load directory.ldif into an empty Directory Server "
            "whose suffixes include %s%s and whose schema checking accepts the product's "
            "object classes, for example with \"ldapadd -x -H ldap://%s -D 'cn=Directory "
            "Manager' -W -c -f directory.ldif\"%s; the userPassword values are random and "
            "no account can log in with them.\n",
            m->version, m->users->len, m->seed, basedn,
            m->schema == MSM_SAMPLE_SCHEMA_1 ? " and o=internet" : "", m->ldap_host,
            has_nsroot ? ", and netscaperoot.ldif into the configuration Directory Server "
                         "(suffix o=NetscapeRoot) the same way"
                       : "");
        ok = msm_write_file_atomic(readme, t->str, t->len, 0644, error);
        g_string_free(t, TRUE);
    }
    if (ok) {
        res->written[MSM_KIND_DIRECTORY] = TRUE;
        res->ldif_path = g_strdup(path);
    }
    g_free(deforg);
    g_free(ldap);
    g_free(path);
    g_free(nsroot);
    g_free(readme);
    return ok;
}

/* Writes the sample into dir through the registry's codecs. */
gboolean
msm_sample_write(MsmRegistry *reg, const MsmSampleSpec *spec, const char *dir,
                 MsmSampleResult *result_r, GError **error)
{
    return msm_sample_write_messages(reg, spec, 0, dir, result_r, error);
}

gboolean
msm_sample_write_messages(MsmRegistry *reg, const MsmSampleSpec *spec, guint messages,
                          const char *dir, MsmSampleResult *result_r, GError **error)
{
    g_return_val_if_fail(reg != NULL && spec != NULL && dir != NULL && result_r != NULL, FALSE);
    memset(result_r, 0, sizeof *result_r);
    const SampleVersion *v = find_version(spec->version);
    if (v == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "cannot generate a sample of unknown version id \"%s\": use a canonical "
                    "id such as ims-5.2 or ms-6.3",
                    spec->version ? spec->version : "(none)");
        return FALSE;
    }
    if (spec->users == 0 || spec->instances == 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "a sample needs at least one user and one instance (got users=%u, "
                    "instances=%u)",
                    spec->users, spec->instances);
        return FALSE;
    }
    const char *instance = spec->instance ? spec->instance : "sample";
    if (*instance == '\0' || strchr(instance, '/') != NULL || strcmp(instance, ".") == 0 ||
        strcmp(instance, "..") == 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "instance name \"%s\" is not a single directory name", instance);
        return FALSE;
    }
    if (!check_target_dir(dir, error))
        return FALSE;
    if (!msm_mkdir_p(dir, FALSE, error))
        return FALSE;

    gboolean ok = FALSE;
    gboolean server_root = strcmp(v->family, "nms") == 0 || strcmp(v->family, "ims") == 0;
    char *root = g_canonicalize_filename(dir, NULL);
    MsmSampleModel *m = NULL;
    MsmCtx *ctx = NULL;
    MsmLayout *layout = msm_layout_resolve(root, v->id, server_root ? instance : NULL, error);
    if (layout == NULL)
        goto out;
    m = msm_sample_model_new(v->id, spec->users, spec->seed, instance, error);
    if (m == NULL)
        goto out;
    m->messages = messages;
    if (!make_skeleton(m, layout, error))
        goto out;
    for (guint i = 2; server_root && i <= spec->instances; i++) {
        char *name = g_strdup_printf("%s%u", instance, i);
        MsmLayout *other = msm_layout_resolve(root, v->id, name, error);
        g_free(name);
        if (other == NULL)
            goto out;
        gboolean made = make_skeleton(m, other, error);
        msm_layout_free(other);
        if (!made)
            goto out;
    }

    /* Paths inside configuration files are the product's, not this directory's. */
    const char *prefix = v->install_base;
    if (strcmp(v->family, "ms") == 0 && strcmp(msm_layout_base_dir(layout), root) != 0)
        prefix = ""; /* the root stands for "/" */
    char *pb = product_path(root, prefix, msm_layout_base_dir(layout));
    char *pc = product_path(root, prefix, msm_layout_config_dir(layout));
    char *pm = product_path(root, prefix, msm_layout_mta_config_dir(layout));
    char *ps = product_path(root, prefix, msm_layout_store_dir(layout));
    char *pq = product_path(root, prefix, msm_layout_queue_dir(layout));
    msm_sample_model_set_paths(m, pb, pc, pm, ps, pq);
    g_free(pb);
    g_free(pc);
    g_free(pm);
    g_free(ps);
    g_free(pq);

    ctx = msm_ctx_new();
    ctx->source_root = g_strdup(root);
    ctx->target_root = g_strdup(root);
    ctx->run_from = g_strdup(v->id);
    ctx->run_to = g_strdup(v->id);
    ctx->hop_from = v->id;
    ctx->hop_to = v->id;
    ctx->instance = server_root ? g_strdup(instance) : NULL;
    ctx->registry = reg;
    ctx->target_layout = layout;
    layout = NULL; /* owned by ctx now */

    for (int k = 0; k < MSM_KIND_COUNT; k++) {
        if (k == MSM_KIND_DIRECTORY)
            continue;
        const MsmCodecRef *ref = msm_registry_find_codec(reg, (MsmKind)k, v->id);
        if (ref == NULL) {
            result_r->missing[k] = msm_sample_missing_reason(v->id, (MsmKind)k);
            continue;
        }
        gboolean done;
        switch (k) {
        case MSM_KIND_CONFIG:
            done = write_config(ref, ctx, m, root, &result_r->items[k], error);
            break;
        case MSM_KIND_STORE:
            done = write_store(ref, ctx, m, root, &result_r->items[k], error);
            break;
        case MSM_KIND_QUEUE:
        default:
            done = write_queue(ref, ctx, m, root, &result_r->items[k], error);
            break;
        }
        if (!done)
            goto out;
        result_r->written[k] = TRUE;
    }
    if (!write_directory(m, root, result_r, error))
        goto out;
    ok = TRUE;
out:
    msm_ctx_free(ctx);
    msm_layout_free(layout);
    msm_sample_model_free(m);
    g_free(root);
    return ok;
}
