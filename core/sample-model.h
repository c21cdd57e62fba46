/*
 * NAME
 *	sample-model.h - the generated model behind `msmigrate sample` (internal)
 * SUMMARY
 *	sample.c builds a model of a deployment (domains, users, groups) from
 *	(version, users, seed) and derives every item from it on demand:
 *	folders with streamed messages, queued messages, configuration files
 *	and directory entries. Everything is a pure function of the model:
 *	no clock, no g_random, no hash-table iteration order. Exposed for the
 *	unit tests and for sample.c; not part of the SDK.
 *	docs/formats/sample.md describes what is generated.
 * OWNERSHIP
 *	The model is (transfer full), freed with msm_sample_model_free(). Its
 *	public fields are owned by it and read-only for callers, except the
 *	product paths, which msm_sample_model_set_paths() replaces. The item
 *	arrays returned are (transfer full) with free functions set; the items
 *	in them do not point into the model (they may outlive it).
 */
#ifndef MSM_CORE_SAMPLE_MODEL_H
#define MSM_CORE_SAMPLE_MODEL_H

#include <msmigrate/msmigrate.h>

/* Directory schema the sample's version uses (domain facts §4). */
typedef enum {
    MSM_SAMPLE_SCHEMA_SIMS = 0, /* emailPerson / emailGroup in one DC-style DIT (o=internet) */
    MSM_SAMPLE_SCHEMA_NMS = 1,  /* mailRecipient + nsMessagingServerUser, mailGroup */
    MSM_SAMPLE_SCHEMA_1 = 2,    /* DC tree o=internet + organization tree o=isp */
    MSM_SAMPLE_SCHEMA_2 = 3,    /* sunManagedOrganization nodes, no DC tree */
} MsmSampleSchema;

/* The message kinds the generator produces (docs/formats/sample.md). */
typedef enum {
    MSM_SAMPLE_MSG_PLAIN = 0,       /* text/plain, US-ASCII, CRLF */
    MSM_SAMPLE_MSG_ALTERNATIVE = 1, /* multipart/alternative text + HTML */
    MSM_SAMPLE_MSG_MIXED = 2,       /* multipart/mixed with a BASE64 attachment */
    MSM_SAMPLE_MSG_LATIN1 = 3,      /* 8-bit ISO-8859-1 body and raw 8-bit headers */
    MSM_SAMPLE_MSG_UTF8 = 4,        /* 8-bit UTF-8 body and raw UTF-8 headers */
    MSM_SAMPLE_MSG_BARE_LF = 5,     /* LF line ends, no final newline */
    MSM_SAMPLE_MSG_NUL = 6,         /* a NUL byte in the body */
    MSM_SAMPLE_MSG_KINDS = 7
} MsmSampleMessageKind;

typedef struct {
    char *name; /* "siroe.com" */
    gboolean is_default;
} MsmSampleDomain;

typedef struct {
    guint index;
    guint domain;          /* index into domains */
    char *uid;             /* LDAP uid as the product keeps it ("jdoe", "Anderson",
                            * "wallyc@varrius.org" for NMS hosted users) */
    char *store_user;      /* store owner name: uid, or uid@domain in a hosted domain;
                            * lowercased for SIMS (its store names are lowercase) */
    char *given, *sn, *cn; /* UTF-8 */
    char *mail;
    GPtrArray *alternates; /* char*: mailAlternateAddress values */
    gint64 quota_bytes;    /* -1 = unlimited */
    gint64 quota_messages; /* -1 = unlimited */
    char *password;        /* userPassword value ("{SSHA}...") */
    char *language;        /* preferredLanguage */
} MsmSampleUser;

typedef struct {
    char *cn;
    char *mail;
    GArray *members;     /* guint user indexes */
    GPtrArray *external; /* char*: outside addresses */
    gboolean postmaster;
} MsmSampleGroup;

typedef struct {
    char *version;      /* canonical id */
    const char *family; /* "sims", "nms", "ims", "ms" (static) */
    MsmSampleSchema schema;
    guint64 seed;
    char *instance; /* instance name ("sample" by default) */
    char *host;     /* "mail.siroe.com" */
    char *ldap_host;
    const char *store_channel; /* "ims-ms", "sims-ms", or NULL (NMS) */
    gint64 epoch;              /* fixed start of the sample's dates (UTC seconds) */
    /* Product paths as the configuration files name them (absolute, as on the
     * product's host): defaults per version, replaced by sample.c from the layout. */
    char *base_path, *config_path, *mta_config_path, *store_path, *queue_path;
    GPtrArray *domains; /* MsmSampleDomain*; [0] is the default domain */
    GPtrArray *users;   /* MsmSampleUser* */
    GPtrArray *groups;  /* MsmSampleGroup*; the postmaster entry last */
    guint messages;     /* about this many messages per user; 0 = the default (about 30) */
} MsmSampleModel;

/* TRUE if version is a canonical id the generator knows. */
gboolean msm_sample_version_known(const char *version);

/* Builds the model. users >= 1. instance NULL = "sample". (transfer full)
 * NULL with MSM_ERROR_NOT_FOUND for an unknown version id or
 * MSM_ERROR_INVALID_ARGUMENT for users == 0. */
MsmSampleModel *msm_sample_model_new(const char *version, guint users, guint64 seed,
                                     const char *instance, GError **error);
void msm_sample_model_free(MsmSampleModel *model);

/* Replaces the product paths written into configuration files (all absolute). */
void msm_sample_model_set_paths(MsmSampleModel *model, const char *base, const char *config,
                                const char *mta_config, const char *store, const char *queue);

/* The folders of user (index), INBOX first, parents before children, each
 * with an iterator streaming its generated messages; the owner carries the
 * subscriptions, quotas and the sum of the message sizes. (transfer full:
 * MsmFolder*, the array frees them) */
GPtrArray *msm_sample_model_folders(const MsmSampleModel *model, guint user);

/* The kind of message index msg of a folder's messages, as generated. Exposed
 * so tests can find the special cases: the first MSM_SAMPLE_MSG_KINDS
 * messages of every INBOX are one of each kind in enum order. */
MsmSampleMessageKind msm_sample_model_message_kind(const MsmSampleModel *model, guint user,
                                                   const char *folder, guint msg);

/* The queued messages: a few per channel (tcp_local, the store channel -
 * "local" for NMS - and tcp_intranet), one .HELD message in tcp_local, and two
 * messages in channel "hold" for one user. Each name is a PMDF-lineage queue
 * file name: two characters counting the attempts in complemented base 36
 * ("ZZ" = 0), eleven random characters, ".00" or ".HELD".
 * (transfer full: MsmQueuedMessage*) */
GPtrArray *msm_sample_model_queue(const MsmSampleModel *model);

/* The configuration files of the version, relpath relative to the directory
 * the config-files codec uses for them (MTA files by base name to the MTA
 * configuration directory, the rest to the configuration directory).
 * (transfer full: MsmConfigFile*) */
GPtrArray *msm_sample_model_config(const MsmSampleModel *model);

/* The user/group directory entries, parents before children.
 * (transfer full: MsmEntry*) */
GPtrArray *msm_sample_model_directory(const MsmSampleModel *model);

/* The o=NetscapeRoot configuration entries (nsmsgCfg*) of NMS 4.x, empty for
 * other versions. (transfer full: MsmEntry*) */
GPtrArray *msm_sample_model_netscaperoot(const MsmSampleModel *model);

/* Channels the version's MTA has queue directories for, NULL-terminated.
 * (transfer none, static) */
const char *const *msm_sample_model_channels(const MsmSampleModel *model);

/* Why a kind cannot be written for version without a codec: the sentence
 * naming the package that provides it. (transfer full) */
char *msm_sample_missing_reason(const char *version, MsmKind kind);

#endif
