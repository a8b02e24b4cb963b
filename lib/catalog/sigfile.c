/* SPDX-License-Identifier: Apache-2.0 */
/* sigfile: minisign-compatible Ed25519 keys and signatures, with libsodium. */
#include "catalog/sigfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/macro.h"
#include "core/root.h"
#include "excise/catalog.h"
#include "excise/output.h"

#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "

/* Decoded sizes of the base64 lines, and their encoded lengths (with padding). */
#define PUBKEY_BIN (2 + SIG_KEYNUM_BYTES + SIG_PK_BYTES)                       /* 42 */
#define SECKEY_BIN (2 + 2 + 2 + 32 + 8 + 8 + SIG_KEYNUM_BYTES + SIG_SK_BYTES + 32) /* 158 */
#define SIG_BIN (2 + SIG_KEYNUM_BYTES + SIG_SIG_BYTES)                          /* 74 */
#define B64_LEN(n) ((((n) + 2) / 3) * 4)

/* Offsets in the secret key blob. */
#define SK_OFF_KDF 2
#define SK_OFF_CHKALG 4
#define SK_OFF_KEYNUM 54
#define SK_OFF_SK (SK_OFF_KEYNUM + SIG_KEYNUM_BYTES)
#define SK_OFF_CHK (SK_OFF_SK + SIG_SK_BYTES)

/* Longest trusted comment we write: minisign reads lines of at most 8192 bytes. */

struct lines {
	const char *p;
	size_t len;
	size_t off;
	size_t lineno;
};

/* The next line without its '\n' and trailing '\r's; false at the end of the text. */
static bool next_line(struct lines *l, const char **ret, size_t *ret_len)
{
	if (l->off >= l->len)
		return false;
	const char *s = l->p + l->off;
	size_t rest = l->len - l->off;
	const char *nl = memchr(s, '\n', rest);
	size_t n = nl ? (size_t)(nl - s) : rest;
	l->off += nl ? n + 1 : n;
	l->lineno++;
	while (n > 0 && s[n - 1] == '\r')
		n--;
	*ret = s;
	*ret_len = n;
	return true;
}

static bool has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t pl = strlen(prefix);
	return len >= pl && memcmp(s, prefix, pl) == 0;
}

/* Decode one base64 line that must hold exactly `want` bytes. */
static int decode_line(const char *name, size_t lineno, const char *s, size_t len, uint8_t *out,
		       size_t want, struct excise_err *err)
{
	if (len != B64_LEN(want))
		return err_set(err, -EXCISE_E_CORRUPT,
			       "%s: line %zu: expected %zu base64 characters, found %zu", name, lineno,
			       (size_t)B64_LEN(want), len);
	size_t bin_len = 0;
	const char *end = NULL;
	if (sodium_base642bin(out, want, s, len, NULL, &bin_len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != s + len || bin_len != want)
		return err_set(err, -EXCISE_E_CORRUPT, "%s: line %zu: invalid base64", name, lineno);
	return 0;
}

/* Only blank lines may follow the last line of a key or signature file. */
static int expect_end(const char *name, struct lines *l, struct excise_err *err)
{
	const char *s;
	size_t n;
	while (next_line(l, &s, &n)) {
		for (size_t i = 0; i < n; i++)
			if (s[i] != ' ' && s[i] != '\t')
				return err_set(err, -EXCISE_E_CORRUPT, "%s: line %zu: unexpected content",
					       name, l->lineno);
	}
	return 0;
}

/* Common checks of every text: size, NUL bytes. */
static int check_text(const char *name, const char *text, size_t len, struct excise_err *err)
{
	if (len > EXCISE_MAX_SIGFILE_SIZE)
		return err_set(err, -EXCISE_E_TOOBIG, "%s: larger than %u bytes", name,
			       EXCISE_MAX_SIGFILE_SIZE);
	const char *z = memchr(text, '\0', len);
	if (z)
		return err_set(err, -EXCISE_E_CORRUPT, "%s: NUL byte at offset %zu", name,
			       (size_t)(z - text));
	return 0;
}

/* Line 1 "untrusted comment: ...", line 2 base64 of `want` bytes, then only blank lines. */
static int parse_two_lines(const char *name, const char *text, size_t len, uint8_t *out,
			   size_t want, struct excise_err *err)
{
	int r = check_text(name, text, len, err);
	if (r < 0)
		return r;
	struct lines l = { .p = text, .len = len };
	const char *s;
	size_t n;
	if (!next_line(&l, &s, &n))
		return err_set(err, -EXCISE_E_CORRUPT, "%s: empty", name);
	if (!has_prefix(s, n, UNTRUSTED_PREFIX))
		return err_set(err, -EXCISE_E_CORRUPT, "%s: line 1: does not start with '%s'", name,
			       UNTRUSTED_PREFIX);
	if (!next_line(&l, &s, &n))
		return err_set(err, -EXCISE_E_CORRUPT, "%s: line 2: missing (truncated file)", name);
	r = decode_line(name, l.lineno, s, n, out, want, err);
	if (r < 0)
		return r;
	return expect_end(name, &l, err);
}

void sig_key_id(const uint8_t keynum[SIG_KEYNUM_BYTES], char out[17])
{
	static const char hex[] = "0123456789ABCDEF";
	/* minisign prints the keynum as a little-endian integer: last byte first. */
	for (size_t i = 0; i < SIG_KEYNUM_BYTES; i++) {
		uint8_t b = keynum[SIG_KEYNUM_BYTES - 1 - i];
		out[2 * i] = hex[b >> 4];
		out[2 * i + 1] = hex[b & 15];
	}
	out[16] = 0;
}

int sig_parse_pubkey(const char *name, const char *text, size_t len, struct sig_pubkey *ret,
		     struct excise_err *err)
{
	uint8_t bin[PUBKEY_BIN];
	int r = parse_two_lines(name, text, len, bin, sizeof(bin), err);
	if (r < 0)
		return r;
	if (memcmp(bin, "Ed", 2) != 0)
		return err_set(err, -EXCISE_E_CORRUPT,
			       "%s: line 2: not an Ed25519 public key (algorithm bytes %02X %02X)",
			       name, bin[0], bin[1]);
	memcpy(ret->keynum, bin + 2, SIG_KEYNUM_BYTES);
	memcpy(ret->pk, bin + 2 + SIG_KEYNUM_BYTES, SIG_PK_BYTES);
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* BLAKE2b-256 over "Ed" || keynum || sk, as minisign checks its secret keys. */
static void seckey_chk(const uint8_t *blob, uint8_t chk[32])
{
	crypto_generichash_state hs;
	crypto_generichash_init(&hs, NULL, 0, 32);
	crypto_generichash_update(&hs, blob, 2);
	crypto_generichash_update(&hs, blob + SK_OFF_KEYNUM, SIG_KEYNUM_BYTES);
	crypto_generichash_update(&hs, blob + SK_OFF_SK, SIG_SK_BYTES);
	crypto_generichash_final(&hs, chk, 32);
	sodium_memzero(&hs, sizeof(hs));
}

int sig_parse_seckey(const char *name, const char *text, size_t len, struct sig_seckey *ret,
		     struct excise_err *err)
{
	if (sodium_init() < 0)
		return err_set(err, -EIO, "%s: cannot initialise libsodium", name);
	uint8_t bin[SECKEY_BIN];
	uint8_t chk[32], pk[SIG_PK_BYTES], sk[SIG_SK_BYTES];
	int r = parse_two_lines(name, text, len, bin, sizeof(bin), err);
	if (r < 0)
		goto out;
	if (memcmp(bin, "Ed", 2) != 0 || memcmp(bin + SK_OFF_CHKALG, "B2", 2) != 0) {
		r = err_set(err, -EXCISE_E_CORRUPT, "%s: line 2: not a minisign Ed25519 secret key",
			    name);
		goto out;
	}
	if (memcmp(bin + SK_OFF_KDF, "Sc", 2) == 0) {
		r = err_set(err, -EXCISE_E_UNSUPPORTED,
			    "%s: the secret key is encrypted with a password; excise reads only "
			    "unencrypted keys (make one with 'excise catalog keygen' or 'minisign -G -W', "
			    "or remove the password with 'minisign -C -W')",
			    name);
		goto out;
	}
	if (bin[SK_OFF_KDF] != 0 || bin[SK_OFF_KDF + 1] != 0) {
		r = err_set(err, -EXCISE_E_CORRUPT, "%s: line 2: unknown key derivation %02X %02X",
			    name, bin[SK_OFF_KDF], bin[SK_OFF_KDF + 1]);
		goto out;
	}
	/* minisign -W leaves the checksum of an unencrypted key zero; when present it must match. */
	seckey_chk(bin, chk);
	if (!all_zero(bin + SK_OFF_CHK, 32) && sodium_memcmp(chk, bin + SK_OFF_CHK, 32) != 0) {
		r = err_set(err, -EXCISE_E_CORRUPT, "%s: checksum mismatch: the key is damaged", name);
		goto out;
	}
	/* The public half stored in sk must be the one its seed derives. */
	crypto_sign_seed_keypair(pk, sk, bin + SK_OFF_SK);
	if (sodium_memcmp(sk, bin + SK_OFF_SK, SIG_SK_BYTES) != 0) {
		r = err_set(err, -EXCISE_E_CORRUPT, "%s: the secret key is inconsistent (damaged)",
			    name);
		goto out;
	}
	memcpy(ret->keynum, bin + SK_OFF_KEYNUM, SIG_KEYNUM_BYTES);
	memcpy(ret->sk, bin + SK_OFF_SK, SIG_SK_BYTES);
	r = 0;
out:
	sodium_memzero(bin, sizeof(bin));
	sodium_memzero(sk, sizeof(sk));
	return r;
}

int sig_parse_minisig(const char *name, const char *text, size_t len, struct sig_minisig *ret,
		      struct excise_err *err)
{
	int r = check_text(name, text, len, err);
	if (r < 0)
		return r;
	struct lines l = { .p = text, .len = len };
	const char *s;
	size_t n;
	uint8_t bin[SIG_BIN];
	if (!next_line(&l, &s, &n))
		return err_set(err, -EXCISE_E_CORRUPT, "%s: empty", name);
	if (!has_prefix(s, n, UNTRUSTED_PREFIX))
		return err_set(err, -EXCISE_E_CORRUPT, "%s: line 1: does not start with '%s'", name,
			       UNTRUSTED_PREFIX);
	if (!next_line(&l, &s, &n))
		return err_set(err, -EXCISE_E_CORRUPT, "%s: line 2: missing (truncated file)", name);
	r = decode_line(name, l.lineno, s, n, bin, sizeof(bin), err);
	if (r < 0)
		return r;
	if (memcmp(bin, "ED", 2) != 0 && memcmp(bin, "Ed", 2) != 0)
		return err_set(err, -EXCISE_E_CORRUPT,
			       "%s: line 2: unknown signature algorithm (bytes %02X %02X)", name, bin[0],
			       bin[1]);
	memcpy(ret->alg, bin, 2);
	memcpy(ret->keynum, bin + 2, SIG_KEYNUM_BYTES);
	memcpy(ret->sig, bin + 2 + SIG_KEYNUM_BYTES, SIG_SIG_BYTES);
	if (!next_line(&l, &s, &n))
		return err_set(err, -EXCISE_E_CORRUPT, "%s: line 3: missing trusted comment", name);
	if (!has_prefix(s, n, TRUSTED_PREFIX))
		return err_set(err, -EXCISE_E_CORRUPT, "%s: line 3: does not start with '%s'", name,
			       TRUSTED_PREFIX);
	ret->trusted_comment = s + strlen(TRUSTED_PREFIX);
	ret->trusted_comment_len = n - strlen(TRUSTED_PREFIX);
	if (!next_line(&l, &s, &n))
		return err_set(err, -EXCISE_E_CORRUPT, "%s: line 4: missing global signature", name);
	r = decode_line(name, l.lineno, s, n, ret->global_sig, SIG_SIG_BYTES, err);
	if (r < 0)
		return r;
	return expect_end(name, &l, err);
}

static int read_small_file(const char *what, const char *path, char **ret, size_t *ret_len,
			   struct excise_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return err_setc(err, neg_errno(), "%s '%s'", what, path);
	int r = read_fd_all(fd, EXCISE_MAX_SIGFILE_SIZE, ret, ret_len);
	if (r == -EXCISE_E_TOOBIG)
		return err_set(err, r, "%s '%s': larger than %u bytes", what, path,
			       EXCISE_MAX_SIGFILE_SIZE);
	if (r < 0)
		return err_setc(err, r, "%s '%s'", what, path);
	return 0;
}

int sig_load_pubkey(const char *key, struct sig_pubkey *ret, struct excise_err *err)
{
	if (sodium_init() < 0)
		return err_set(err, -EIO, "cannot initialise libsodium");
	if (!key || !key[0])
		return err_set(err, -EXCISE_E_USAGE, "empty trusted key");
	/* The base64 key line itself, as `minisign -P` takes it. */
	size_t kl = strlen(key);
	if (kl == B64_LEN(PUBKEY_BIN)) {
		uint8_t bin[PUBKEY_BIN];
		size_t bin_len = 0;
		const char *end = NULL;
		if (sodium_base642bin(bin, sizeof(bin), key, kl, NULL, &bin_len, &end,
				      sodium_base64_VARIANT_ORIGINAL) == 0 &&
		    end == key + kl && bin_len == sizeof(bin) && memcmp(bin, "Ed", 2) == 0) {
			memcpy(ret->keynum, bin + 2, SIG_KEYNUM_BYTES);
			memcpy(ret->pk, bin + 2 + SIG_KEYNUM_BYTES, SIG_PK_BYTES);
			return 0;
		}
	}
	_cleanup_free_ char *text = NULL, *name = NULL;
	size_t len = 0;
	int r = read_small_file("public key", key, &text, &len, err);
	if (r < 0)
		return r;
	if (asprintf(&name, "public key '%s'", key) < 0) {
		name = NULL;
		return err_set(err, -ENOMEM, "out of memory");
	}
	return sig_parse_pubkey(name, text, len, ret, err);
}

/* Ed25519 check of the message signature, prehashed ("ED") or legacy ("Ed"). */
static bool verify_sig(const struct sig_minisig *m, const void *data, size_t len,
		       const uint8_t pk[SIG_PK_BYTES])
{
	if (memcmp(m->alg, "ED", 2) == 0) {
		uint8_t h[crypto_generichash_BYTES_MAX];
		crypto_generichash(h, sizeof(h), data, len, NULL, 0);
		return crypto_sign_verify_detached(m->sig, h, sizeof(h), pk) == 0;
	}
	return crypto_sign_verify_detached(m->sig, data, len, pk) == 0;
}

/* The global signature covers sig || trusted comment. */
static int verify_global(const struct sig_minisig *m, const uint8_t pk[SIG_PK_BYTES], bool *ok)
{
	size_t n = SIG_SIG_BYTES + m->trusted_comment_len;
	_cleanup_free_ uint8_t *msg = malloc(n);
	if (!msg)
		return -ENOMEM;
	memcpy(msg, m->sig, SIG_SIG_BYTES);
	if (m->trusted_comment_len)
		memcpy(msg + SIG_SIG_BYTES, m->trusted_comment, m->trusted_comment_len);
	*ok = crypto_sign_verify_detached(m->global_sig, msg, n, pk) == 0;
	return 0;
}

int excise_sig_verify(const void *data, size_t len, const char *sig_text, size_t sig_len,
		      const char *const *trusted_keys, size_t n_keys, char *ret_key_id,
		      struct excise_err *reterr)
{
	if (sodium_init() < 0)
		return err_set(reterr, -EIO, "cannot initialise libsodium");
	if ((!data && len) || !sig_text || (!trusted_keys && n_keys))
		return err_set(reterr, -EXCISE_E_USAGE, "excise_sig_verify: invalid arguments");
	struct sig_minisig m;
	int r = sig_parse_minisig("signature", sig_text, sig_len, &m, reterr);
	if (r < 0)
		return r;
	char sig_id[17];
	sig_key_id(m.keynum, sig_id);
	if (n_keys == 0)
		return err_set(reterr, -EXCISE_E_UNTRUSTED,
			       "signed by key ID %s, but no trusted key was given", sig_id);

	struct buf ids;
	buf_init(&ids, 1024);
	bool matched = false;
	for (size_t i = 0; i < n_keys; i++) {
		struct sig_pubkey pk;
		struct excise_err kerr = { 0 };
		r = sig_load_pubkey(trusted_keys[i], &pk, &kerr);
		if (r < 0) {
			buf_done(&ids);
			return err_set(reterr, r, "trusted key %zu: %s", i + 1, kerr.msg);
		}
		char id[17];
		sig_key_id(pk.keynum, id);
		if (ids.n)
			buf_adds(&ids, ", ");
		buf_adds(&ids, id);
		if (sodium_memcmp(pk.keynum, m.keynum, SIG_KEYNUM_BYTES) != 0)
			continue;
		matched = true;
		if (!verify_sig(&m, data, len, pk.pk))
			continue;
		bool gok = false;
		r = verify_global(&m, pk.pk, &gok);
		if (r < 0) {
			buf_done(&ids);
			return err_set(reterr, r, "out of memory");
		}
		if (!gok) {
			buf_done(&ids);
			return err_set(reterr, -EXCISE_E_BADSIG,
				       "signature by key ID %s: the trusted comment does not verify "
				       "(it was changed after signing)",
				       sig_id);
		}
		buf_done(&ids);
		if (ret_key_id)
			memcpy(ret_key_id, sig_id, sizeof(sig_id));
		return 0;
	}
	if (!matched) {
		r = err_set(reterr, -EXCISE_E_UNTRUSTED,
			    "signed by key ID %s, which is not a trusted key (trusted: %s)", sig_id,
			    ids.err ? "..." : ids.p);
		buf_done(&ids);
		return r;
	}
	buf_done(&ids);
	return err_set(reterr, -EXCISE_E_BADSIG,
		       "signature by key ID %s does not verify: the data was changed after signing "
		       "or the signature is for other data",
		       sig_id);
}

/* "untrusted comment: <comment>\n<base64 of bin>\n" into b. */
static void add_two_lines(struct buf *b, const char *comment, const uint8_t *bin, size_t n)
{
	char b64[B64_LEN(SECKEY_BIN) + 1];
	sodium_bin2base64(b64, sizeof(b64), bin, n, sodium_base64_VARIANT_ORIGINAL);
	buf_addf(b, "%s%s\n%s\n", UNTRUSTED_PREFIX, comment, b64);
	sodium_memzero(b64, sizeof(b64));
}

int excise_sig_keygen(const char *pub_path, const char *sec_path, struct excise_err *reterr)
{
	if (!pub_path || !sec_path)
		return err_set(reterr, -EXCISE_E_USAGE, "keygen: both key file paths are needed");
	if (sodium_init() < 0)
		return err_set(reterr, -EIO, "cannot initialise libsodium");
	uint8_t pk[SIG_PK_BYTES], sk[SIG_SK_BYTES], keynum[SIG_KEYNUM_BYTES];
	uint8_t sec[SECKEY_BIN] = { 0 }, pub[PUBKEY_BIN];
	char id[17], comment[80];
	struct buf sb, pb;
	_cleanup_close_ int sfd = -1, pfd = -1;
	int r;

	crypto_sign_keypair(pk, sk);
	randombytes_buf(keynum, sizeof(keynum));
	sig_key_id(keynum, id);

	memcpy(sec, "Ed", 2);
	memcpy(sec + SK_OFF_KDF, "\0\0", 2);
	memcpy(sec + SK_OFF_CHKALG, "B2", 2);
	memcpy(sec + SK_OFF_KEYNUM, keynum, SIG_KEYNUM_BYTES);
	memcpy(sec + SK_OFF_SK, sk, SIG_SK_BYTES);
	seckey_chk(sec, sec + SK_OFF_CHK);
	memcpy(pub, "Ed", 2);
	memcpy(pub + 2, keynum, SIG_KEYNUM_BYTES);
	memcpy(pub + 2 + SIG_KEYNUM_BYTES, pk, SIG_PK_BYTES);

	buf_init(&sb, 4096);
	buf_init(&pb, 4096);
	snprintf(comment, sizeof(comment), "minisign secret key %s (unencrypted)", id);
	add_two_lines(&sb, comment, sec, sizeof(sec));
	snprintf(comment, sizeof(comment), "minisign public key %s", id);
	add_two_lines(&pb, comment, pub, sizeof(pub));
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(sec, sizeof(sec));
	if (sb.err || pb.err) {
		r = err_set(reterr, sb.err ? sb.err : pb.err, "keygen: out of memory");
		goto out;
	}

	sfd = open(sec_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				       0600);
	if (sfd < 0) {
		r = err_setc(reterr, neg_errno(), "cannot create secret key file '%s'%s", sec_path,
			     errno == EEXIST ? " (refusing to overwrite it)" : "");
		goto out;
	}
	pfd = open(pub_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				       0644);
	if (pfd < 0) {
		r = err_setc(reterr, neg_errno(), "cannot create public key file '%s'%s", pub_path,
			     errno == EEXIST ? " (refusing to overwrite it)" : "");
		unlink(sec_path);
		goto out;
	}
	r = write_fd_all(sfd, sb.p, sb.n);
	if (r >= 0 && fsync(sfd) < 0)
		r = neg_errno();
	if (r < 0) {
		err_setc(reterr, r, "cannot write '%s'", sec_path);
		goto fail;
	}
	r = write_fd_all(pfd, pb.p, pb.n);
	if (r < 0) {
		err_setc(reterr, r, "cannot write '%s'", pub_path);
		goto fail;
	}
	r = 0;
	goto out;
fail:
	unlink(sec_path);
	unlink(pub_path);
out:
	sodium_memzero(sb.p, sb.n);
	buf_done(&sb);
	buf_done(&pb);
	return r;
}

/* BLAKE2b-512 of a whole file, streamed. */
static int hash_chunk(const void *data, size_t len, void *userdata)
{
	crypto_generichash_update(userdata, data, len);
	return 0;
}

static int hash_file(const char *path, uint8_t h[crypto_generichash_BYTES_MAX],
		     struct excise_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_setc(err, neg_errno(), "cannot open '%s'", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return err_setc(err, neg_errno(), "'%s'", path);
	if (!S_ISREG(st.st_mode))
		return err_set(err, -EINVAL, "'%s': not a regular file", path);
	crypto_generichash_state hs;
	crypto_generichash_init(&hs, NULL, 0, crypto_generichash_BYTES_MAX);
	int r = read_fd_chunks(fd, hash_chunk, &hs, NULL);
	if (r < 0)
		return err_setc(err, r, "cannot read '%s'", path);
	crypto_generichash_final(&hs, h, crypto_generichash_BYTES_MAX);
	return 0;
}

/* The default trusted comment, as minisign writes it; control bytes of the name become '?'. */
static int default_comment(const char *path, char **ret)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	struct buf b;
	buf_init(&b, EXCISE_MAX_TRUSTED_COMMENT);
	buf_addf(&b, "timestamp:%lld\tfile:", (long long)time(NULL));
	for (const char *c = base; *c; c++)
		buf_addc(&b, (unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c);
	buf_adds(&b, "\thashed");
	return buf_take(&b, ret);
}

/* Sign `path`: the .minisig text into *ret_text (when not NULL), else written to sig_path. */
static int sign_to(const char *sec_path, const char *path, const char *sig_path, const char *trusted_comment,
		   char **ret_text, size_t *ret_len, struct excise_err *reterr)
{
	if (!sec_path || !path)
		return err_set(reterr, -EXCISE_E_USAGE, "sign: a secret key and a file are needed");
	if (sodium_init() < 0)
		return err_set(reterr, -EIO, "cannot initialise libsodium");
	_cleanup_free_ char *text = NULL, *name = NULL, *tc = NULL, *sp = NULL, *gmsg = NULL;
	size_t len = 0;
	struct sig_seckey key;
	uint8_t h[crypto_generichash_BYTES_MAX], sig[SIG_SIG_BYTES], gsig[SIG_SIG_BYTES];
	uint8_t bin[SIG_BIN];
	char b64[B64_LEN(SIG_BIN) + 1], gb64[B64_LEN(SIG_SIG_BYTES) + 1], id[17];
	struct buf out;
	int r;

	if (trusted_comment) {
		size_t tl = strlen(trusted_comment);
		if (tl > EXCISE_MAX_TRUSTED_COMMENT)
			return err_set(reterr, -EXCISE_E_USAGE,
				       "trusted comment longer than %u bytes", EXCISE_MAX_TRUSTED_COMMENT);
		if (strpbrk(trusted_comment, "\r\n"))
			return err_set(reterr, -EXCISE_E_USAGE,
				       "the trusted comment must be a single line");
		tc = strdup(trusted_comment);
		if (!tc)
			return err_set(reterr, -ENOMEM, "out of memory");
	} else if (default_comment(path, &tc) < 0) {
		tc = NULL;
		return err_set(reterr, -ENOMEM, "out of memory");
	}
	if (!sig_path) {
		if (asprintf(&sp, "%s.minisig", path) < 0) {
			sp = NULL;
			return err_set(reterr, -ENOMEM, "out of memory");
		}
		sig_path = sp;
	}

	r = read_small_file("secret key", sec_path, &text, &len, reterr);
	if (r < 0)
		return r;
	if (asprintf(&name, "secret key '%s'", sec_path) < 0) {
		name = NULL;
		sodium_memzero(text, len);
		return err_set(reterr, -ENOMEM, "out of memory");
	}
	r = sig_parse_seckey(name, text, len, &key, reterr);
	sodium_memzero(text, len);
	if (r < 0)
		return r;

	r = hash_file(path, h, reterr);
	if (r < 0)
		goto wipe;
	size_t tl = strlen(tc);
	gmsg = malloc(SIG_SIG_BYTES + tl);
	if (!gmsg) {
		r = err_set(reterr, -ENOMEM, "out of memory");
		goto wipe;
	}
	crypto_sign_detached(sig, NULL, h, sizeof(h), key.sk);
	memcpy(gmsg, sig, SIG_SIG_BYTES);
	memcpy(gmsg + SIG_SIG_BYTES, tc, tl);
	crypto_sign_detached(gsig, NULL, (const uint8_t *)gmsg, SIG_SIG_BYTES + tl, key.sk);

	memcpy(bin, "ED", 2);
	memcpy(bin + 2, key.keynum, SIG_KEYNUM_BYTES);
	memcpy(bin + 2 + SIG_KEYNUM_BYTES, sig, SIG_SIG_BYTES);
	sodium_bin2base64(b64, sizeof(b64), bin, sizeof(bin), sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(gb64, sizeof(gb64), gsig, sizeof(gsig), sodium_base64_VARIANT_ORIGINAL);
	sig_key_id(key.keynum, id);

	buf_init(&out, EXCISE_MAX_SIGFILE_SIZE);
	buf_addf(&out, "%ssignature from minisign secret key %s\n%s\n%s%s\n%s\n", UNTRUSTED_PREFIX,
		 id, b64, TRUSTED_PREFIX, tc, gb64);
	if (out.err) {
		r = err_set(reterr, out.err, "cannot build the signature of '%s'", path);
		buf_done(&out);
		goto wipe;
	}
	if (ret_text) {
		*ret_len = out.n;
		r = buf_take(&out, ret_text) < 0 ? err_set(reterr, -ENOMEM, "out of memory") : 0;
	} else {
		r = excise_output_write(sig_path, 0644, out.p, out.n, reterr);
		buf_done(&out);
	}
wipe:
	sodium_memzero(&key, sizeof(key));
	return r < 0 ? r : 0;
}

int excise_sig_sign_file(const char *sec_path, const char *path, const char *sig_path,
			 const char *trusted_comment, struct excise_err *reterr)
{
	return sign_to(sec_path, path, sig_path, trusted_comment, NULL, NULL, reterr);
}

int excise_sig_sign_text(const char *sec_path, const char *path, const char *trusted_comment, char **ret_text,
			 size_t *ret_len, struct excise_err *reterr)
{
	*ret_text = NULL;
	*ret_len = 0;
	return sign_to(sec_path, path, "-", trusted_comment, ret_text, ret_len, reterr);
}
