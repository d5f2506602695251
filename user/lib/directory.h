/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * directory.h - membership from an LDAP directory (Active Directory or any
 * LDAPv3 server): the computer objects of one group, nested groups
 * included, as host names for the membership pipeline of members.h.
 *
 *   settings   [directory] section of the config file + command-line flags
 *   fetch      connect (fail-over over the URIs), TLS, bind, find the
 *              group's computers (AD in-chain rule or client-side nesting),
 *              paged
 *   to source  enabled computers' dNSHostName -> struct ig_msrc names
 *
 * Nothing here touches the kernel: a directory failure changes nothing.
 */
#ifndef IG_DIRECTORY_H
#define IG_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "members.h"

#define IG_DIR_MAX_URIS          8
#define IG_DIR_DEFAULT_PAGE      500
#define IG_DIR_DEFAULT_TIMEOUT   60      /* s, each operation */
#define IG_DIR_CONNECT_TIMEOUT   10      /* s, at most, to connect to one server */
#define IG_DIR_DEFAULT_MAX_REMOVAL 20    /* % of the current entries */
#define IG_DIR_DEFAULT_CA        "/etc/ssl/certs/ca-certificates.crt"

/* AD: LDAP_MATCHING_RULE_IN_CHAIN, and the rootDSE capability that says
 * the server is Active Directory (or Samba's AD DC) and implements it. */
#define IG_OID_IN_CHAIN          "1.2.840.113556.1.4.1941"
#define IG_OID_CAP_AD            "1.2.840.113556.1.4.800"
#define IG_OID_PAGED_RESULTS     "1.2.840.113556.1.4.319"
#define IG_UAC_ACCOUNTDISABLE    0x2

enum ig_dir_bind {
	IG_DIR_BIND_SIMPLE = 0,         /* bind-dn + password-file */
	IG_DIR_BIND_GSSAPI,             /* SASL GSSAPI (Kerberos), keytab */
};

enum ig_dir_nesting {
	IG_DIR_NEST_AUTO = 0,           /* in-chain when the server is AD, else client */
	IG_DIR_NEST_IN_CHAIN,
	IG_DIR_NEST_CLIENT,
};

struct ig_dir_settings {
	char *uris[IG_DIR_MAX_URIS];    /* tried in order */
	unsigned int n_uris;
	bool starttls;                  /* ldap:// URIs: StartTLS (default yes) */
	char *ca_file;                  /* NULL: IG_DIR_DEFAULT_CA */
	enum ig_dir_bind bind;
	char *bind_dn;
	char *password_file;
	char *keytab;                   /* GSSAPI: client keytab (its first principal) */
	char *base;                     /* search base */
	char *group;                    /* the group's DN */
	enum ig_dir_nesting nesting;
	unsigned int page_size;
	unsigned int timeout;           /* s */
	char *extra;                    /* extra-entries file (membership format) */
	unsigned int max_removal;       /* % */
	unsigned int set;               /* bit per key given (flags override file) */
};

void ig_dir_settings_init(struct ig_dir_settings *s);
void ig_dir_settings_free(struct ig_dir_settings *s);

/* The k-th [directory] key (each also a `members sync --ldap` flag), NULL
 * past the last. */
const char *ig_dir_key(unsigned int k);
/* Is name one of them? */
bool ig_dir_is_key(const char *name);

/*
 * Set one key ("uri", "bind-dn", ...: the [directory] key names; the
 * command-line flags are the same names with "--").  "uri" appends and
 * takes a comma- or space-separated list.  When `override` is set a key
 * replaces what an earlier source (the file) gave.  -1 with a message in
 * err on a bad value or an unknown key.
 */
int ig_dir_set(struct ig_dir_settings *s, const char *key, const char *value,
	       bool override, char *err, size_t errlen);

/*
 * Read the [directory] section of an INI file (other sections are left to
 * their readers).  Prints "FILE:LINE: reason"; returns 0 or -errno as
 * ig_ini_load() does.
 */
int ig_dir_load_ini(struct ig_dir_settings *s, const char *path);

/* Complete and consistent?  Prints what is missing; 0 or -EINVAL. */
int ig_dir_check(const struct ig_dir_settings *s);

/*
 * Read a password file: refused unless ig_secret_open() accepts it (a
 * regular file of root or of the caller that neither group nor others may
 * read or write).  One trailing newline is dropped; an empty
 * password is refused (LDAP treats a simple bind with an empty password as
 * an anonymous bind, RFC 4513 5.1.2).  Returns a malloc'd string or NULL
 * with the reason in err.
 */
char *ig_dir_read_password(const char *path, char *err, size_t errlen);

/* ---- fetch -------------------------------------------------------------- */

struct ig_dir_computer {
	char *dn;
	char *host;                     /* dNSHostName, NULL when absent */
	bool disabled;                  /* userAccountControl & ACCOUNTDISABLE */
};

struct ig_dir_result {
	struct ig_dir_computer *c;
	size_t n, cap;
	size_t n_disabled, n_nohost;
	size_t groups;                  /* groups walked (client nesting) */
	unsigned int pages;             /* paged-result pages received */
	size_t max_page;                /* most entries in one page */
	bool paged;
	char server[256];               /* URI that answered */
	const char *nesting;            /* "in-chain" or "client" */
};

void ig_dir_result_free(struct ig_dir_result *r);

enum ig_dir_err {
	IG_DIR_OK = 0,
	IG_DIR_ERR_CONNECT,             /* no server reachable (or TLS failed) */
	IG_DIR_ERR_AUTH,                /* bind refused */
	IG_DIR_ERR_SEARCH,              /* group missing, search failed */
	IG_DIR_ERR_CONFIG,              /* unreadable/unsafe password file, ... */
	IG_DIR_ERR_NOMEM,
};

/*
 * Connect to the first server that answers, bind, and list the group's
 * computer objects (nested groups included).  Messages about the attempts
 * go to stderr (-v for details); err holds the final reason.
 */
enum ig_dir_err ig_dir_fetch(const struct ig_dir_settings *s, struct ig_dir_result *r,
			     char *err, size_t errlen);

/*
 * Turn the enabled computers' host names into membership-source names
 * (flag IG_MEMBER_F_DIRECTORY).  Computers without dNSHostName or with an
 * invalid one (an IPv4 address or CIDR included: never a member by name)
 * are reported and skipped; returns how many were skipped, or -ENOMEM.
 */
long ig_dir_to_source(const struct ig_dir_result *r, struct ig_msrc *src);

/* ---- one computer's nesting chain (`isagate explain`) -------------------- */

#define IG_DIR_MAX_CHAIN_GROUPS 10000 /* groups walked above one computer */

struct ig_dir_chain {
	char server[256];   /* URI that answered */
	char *computer;	    /* DN of the computer object whose
					 * dNSHostName is the host, NULL: none */
	size_t n_computers; /* how many claim that dNSHostName */
	bool disabled;	    /* userAccountControl & ACCOUNTDISABLE */
	char **chain;	    /* the configured group, the groups
					 * nested in it, ..., the computer */
	size_t n_chain;	    /* 0: the computer is not in the group */
};

/*
 * Why is the computer named host a member (or not)?  Connects as
 * ig_dir_fetch() does, finds the computer object by its dNSHostName under
 * the base and walks up the groups that list it as `member` (breadth-first,
 * each group once, cycles safe) to the configured group: out->chain is the
 * shortest nesting chain, the group first.  Free with ig_dir_chain_free().
 */
enum ig_dir_err ig_dir_chain(const struct ig_dir_settings *s, const char *host,
			     struct ig_dir_chain *out, char *err, size_t errlen);
void ig_dir_chain_free(struct ig_dir_chain *ch);

/* ---- helpers (exposed for the unit tests) ------------------------------- */

/* AD range retrieval: "member;range=0-1499" -> 1499 (true), ";range=..-*"
 * -> last = true.  False when the attribute is not exactly a ranged `member`
 * (member;range=LOW-HIGH, decimal, LOW <= HIGH < ULONG_MAX, or LOW-*). */
bool ig_dir_parse_range(const char *attr, unsigned long *high, bool *last);

/* Lower-case copy of a DN with the spaces after separators removed, for
 * comparing DNs written by different servers. */
char *ig_dir_dn_norm(const char *dn);

/* DN (normalised) inside the base (normalised)? */
bool ig_dir_dn_under(const char *dn_norm, const char *base_norm);

/* A computer's userAccountControl value (text, NULL when absent): is
 * ACCOUNTDISABLE set? */
bool ig_dir_uac_disabled(const char *uac);

/* Append one computer (dn and host copied; host NULL when it has no
 * dNSHostName) and count it as disabled or host-less.  0 or -ENOMEM. */
int ig_dir_result_add(struct ig_dir_result *r, const char *dn, const char *host,
		      bool disabled);

#endif /* IG_DIRECTORY_H */
