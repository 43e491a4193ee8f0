/* Unit tests of src/base: hex, errors, log quoting, files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/base/err.h"
#include "../../src/base/file.h"
#include "../../src/base/hex.h"
#include "../../src/base/log.h"
#include "../../src/base/parse.h"
#include "harness.h"

TEST(base_hex_roundtrip_all_bytes)
{
	uint8_t in[256], out[256];
	char text[513];
	size_t n = 0;
	for (int i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	hex_encode(text, in, sizeof(in));
	CHECK(strlen(text) == 512);
	CHECK(strncmp(text, "000102030405060708090a0b0c0d0e0f10", 34) == 0);
	CHECK(strcmp(text + 500, "fafbfcfdfeff") == 0);
	CHECK(hex_decode(out, sizeof(out), &n, text, 512, NULL));
	CHECK(n == 256);
	CHECK_MEM(in, out, 256);
}

TEST(base_hex_digit_value_every_char)
{
	for (int c = -128; c < 128; c++) {
		int v = hex_digit_value((char)c);
		if (c >= '0' && c <= '9')
			CHECK(v == c - '0');
		else if (c >= 'a' && c <= 'f')
			CHECK(v == c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			CHECK(v == c - 'A' + 10);
		else
			CHECK(v == -1);
	}
}

TEST(base_hex_accepts_upper_case)
{
	uint8_t out[4];
	size_t n;
	CHECK(hex_decode(out, sizeof(out), &n, "DEADbeef", 8, NULL));
	CHECK(n == 4 && out[0] == 0xde && out[3] == 0xef);
}

TEST(base_hex_must_fail)
{
	uint8_t out[8];
	size_t n;
	struct err e = { 0 };
	CHECK(!hex_decode(out, sizeof(out), &n, "abc", 3, &e));
	CHECK(e.kind == ERR_MALFORMED && strstr(e.msg, "odd length 3"));
	CHECK(!hex_decode(out, sizeof(out), &n, "0g", 2, &e));
	CHECK(strstr(e.msg, "offset 1"));
	CHECK(!hex_decode(out, sizeof(out), &n, "zz00", 4, &e));
	CHECK(strstr(e.msg, "offset 0"));
	CHECK(!hex_decode(out, sizeof(out), &n, "0x00", 4, &e));
	CHECK(!hex_decode(out, sizeof(out), &n, "00 1", 4, &e));
	CHECK(!hex_decode(out, 2, &n, "000000", 6, &e));
	CHECK(strstr(e.msg, "exceed"));
	/* every non-hex byte value is refused */
	for (int c = 0; c < 256; c++) {
		char s[2] = { '0', (char)c };
		bool is_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		CHECK(hex_decode(out, sizeof(out), &n, s, 2, NULL) == is_hex);
	}
}

TEST(base_err_wrap_and_errno)
{
	struct err e = { 0 };
	CHECK(!err_set(&e, ERR_NOT_FOUND, "no key %s", "tz1x"));
	CHECK(!err_wrap(&e, "loading '%s'", "baker"));
	CHECK_STR(e.msg, "loading 'baker': no key tz1x");
	CHECK(e.kind == ERR_NOT_FOUND);
	errno = ENOENT;
	CHECK(!err_errno(&e, ERR_IO, "open %s", "/nope"));
	CHECK_STR(e.msg, "open /nope: No such file or directory");
	CHECK(!err_set(NULL, ERR_IO, "ignored"));
}

TEST(base_log_str_quotes)
{
	char out[64];
	CHECK_STR(log_str(out, sizeof(out), "tz1abc"), "tz1abc");
	CHECK_STR(log_str(out, sizeof(out), "two words"), "\"two words\"");
	CHECK_STR(log_str(out, sizeof(out), "say \"hi\"\n"), "\"say \\\"hi\\\"?\"");
	CHECK_STR(log_str(out, sizeof(out), ""), "\"\"");
	char tiny[5];
	log_str(tiny, sizeof(tiny), "a b c d e");
	CHECK(strlen(tiny) < sizeof(tiny));
}

static void temp_dir(char *out, size_t cap)
{
	snprintf(out, cap, "/tmp/tzsigner-unit-XXXXXX");
	if (!mkdtemp(out))
		abort();
}

TEST(base_file_secret_permissions)
{
	char dir[64], path[128];
	struct err e = { 0 };
	char *buf;
	size_t len;
	temp_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/secret", dir);
	CHECK(file_write_durable(path, "hello", 5, 0600, &e));
	CHECK(file_read(path, 100, FILE_SECRET, &buf, &len, &e));
	CHECK(len == 5 && memcmp(buf, "hello", 5) == 0 && buf[5] == '\0');
	file_free(buf, len);
	chmod(path, 0640);
	CHECK(!file_read(path, 100, FILE_SECRET, &buf, &len, &e));
	CHECK(e.kind == ERR_FORBIDDEN && strstr(e.msg, "chmod 600"));
	CHECK(file_read(path, 100, FILE_PUBLIC, &buf, &len, &e));
	file_free(buf, len);
	CHECK(!file_read(path, 4, FILE_PUBLIC, &buf, &len, &e));
	CHECK(e.kind == ERR_TOO_LARGE);
	char link[160];
	snprintf(link, sizeof(link), "%s/link", dir);
	CHECK(symlink(path, link) == 0);
	CHECK(!file_read(link, 100, FILE_PUBLIC, &buf, &len, &e));
	CHECK(strstr(e.msg, "symbolic link"));
	CHECK(!file_read(dir, 100, FILE_PUBLIC, &buf, &len, &e));
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	CHECK(!file_read(missing, 100, FILE_PUBLIC, &buf, &len, &e));
	CHECK(e.kind == ERR_NOT_FOUND);
	unlink(link);
	unlink(path);
	rmdir(dir);
}

TEST(base_file_durable_write_replaces_and_sets_mode)
{
	char dir[64], path[128];
	struct stat st;
	temp_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	CHECK(file_write_durable(path, "one", 3, 0644, NULL));
	CHECK(file_write_durable(path, "second", 6, 0600, NULL));
	CHECK(stat(path, &st) == 0);
	CHECK((st.st_mode & 0777) == 0600 && st.st_size == 6);
	/* no temporary file left behind */
	char tmp[160];
	snprintf(tmp, sizeof(tmp), "%s/f.tmp.%ld", dir, (long)getpid());
	CHECK(access(tmp, F_OK) != 0);
	unlink(path);
	rmdir(dir);
}

TEST(base_parse_numbers_strict)
{
	unsigned long v = 0;
	unsigned int u = 0;
	CHECK(parse_ulong("0", 0, 10, &v) && v == 0);
	CHECK(parse_ulong("65535", 1, 65535, &v) && v == 65535);
	CHECK(parse_uint("42", 1, 100, &u) && u == 42);
	const char *bad[] = { "", "-1", "+1", " 1", "1 ", "0x10", "1e3", "65536", "99999999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!parse_ulong(bad[i], 0, 65535, &v));
	CHECK(!parse_uint("0", 1, 5, &u));
	CHECK(!parse_ulong(NULL, 0, 1, &v));
}
