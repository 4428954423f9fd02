/* config.c: every key, defaults, and a one-line error for each bad input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "check.h"
#include "../../hypervisor/src/config.h"

static int parse(const char *text, struct dom_config *c, char *err)
{
	return config_parse(text, "t.cfg", c, err, 512);
}

static void bad(const char *text, const char *want_line, const char *want_word)
{
	struct dom_config c;
	char err[512] = "";
	CHECK_EQ(parse(text, &c, err), -EINVAL);
	CHECK(strstr(err, want_line) != NULL);
	CHECK(strstr(err, want_word) != NULL);
	if (!strstr(err, want_line) || !strstr(err, want_word))
		fprintf(stderr, "  input: %s\n  error: %s\n", text, err);
}

int main(void)
{
	struct dom_config c;
	char err[512];
	CHECK_EQ(parse("# a domain\nname = \"web-1\"\nmemory = 0x20  # MiB\nvcpus = 2\n"
	               "kernel = '/k/pvos.elf'\ncmdline = \"prog=hello exit=3\"\nweight = 250\n"
	               "warp = 1000\nwarpl = 2000\nwarpu = 3000\n", &c, err), 0);
	CHECK_STR(c.name, "web-1");
	CHECK_EQ(c.memory_mib, 32);
	CHECK_EQ(c.vcpus, 2);
	CHECK_STR(c.kernel, "/k/pvos.elf");
	CHECK_STR(c.cmdline, "prog=hello exit=3");
	CHECK_EQ(c.weight, 250);
	CHECK_EQ(c.warp_ns, 1000);
	CHECK_EQ(c.warpl_ns, 2000);
	CHECK_EQ(c.warpu_ns, 3000);

	CHECK_EQ(parse("name = \"d\"\nkernel = \"k\"\n", &c, err), 0);
	CHECK_EQ(c.memory_mib, 64);
	CHECK_EQ(c.vcpus, 1);
	CHECK_EQ(c.weight, CFG_WEIGHT_DEFAULT);
	CHECK_STR(c.cmdline, "");
	CHECK_STR(c.ramdisk, "");
	CHECK_EQ(parse("name = \"d\"\nkernel = \"vmlinuz\"\nramdisk = \"/boot/initrd.gz\"\n", &c, err), 0);
	CHECK_STR(c.ramdisk, "/boot/initrd.gz");
	bad("name = \"d\"\nkernel = \"k\"\nramdisk = \"\"\n", "t.cfg:3:", "ramdisk");
	/* xl.cfg's disk list: strings on one line, checked later by the back end */
	CHECK_EQ(parse("name = \"d\"\nkernel = \"k\"\ndisk = [ \"file:/a.img,xvda,w\", 'file:/b.img,xvdb,r' ] # two\n", &c, err), 0);
	CHECK_EQ(c.ndisks, 2);
	CHECK_STR(c.disk[0], "file:/a.img,xvda,w");
	CHECK_STR(c.disk[1], "file:/b.img,xvdb,r");
	CHECK_EQ(parse("name = \"d\"\nkernel = \"k\"\ndisk = []\n", &c, err), 0);
	CHECK_EQ(c.ndisks, 0);
	bad("name = \"d\"\nkernel = \"k\"\ndisk = \"file:/a,xvda,w\"\n", "t.cfg:3:", "expected a list");
	bad("name = \"d\"\nkernel = \"k\"\ndisk = [ \"a\" \"b\" ]\n", "t.cfg:3:", "expected ',' or ']'");
	bad("name = \"d\"\nkernel = \"k\"\ndisk = [ \"a\", ]\n", "t.cfg:3:", "expected a quoted string");
	bad("name = \"d\"\nkernel = \"k\"\ndisk = [ \"a\" ] x\n", "t.cfg:3:", "junk after list");
	bad("name = \"d\"\nkernel = \"k\"\ndisk = [ \"a\", \"b\", \"c\", \"d\", \"e\" ]\n", "t.cfg:3:", "more than 4");
	bad("name = \"d\"\nkernel = \"k\"\ndisk = [ \"\" ]\n", "t.cfg:3:", "length 0");
	bad("name = \"d\"\nkernel = \"k\"\ndisk = [ \"a\"\n", "t.cfg:3:", "expected ',' or ']'");
	/* xl.cfg's vif list: its own entries and count beside the disks' */
	CHECK_EQ(parse("name = \"d\"\nkernel = \"k\"\ndisk = [ \"file:/a.img,xvda,w\" ]\n"
	               "vif = [ \"mac=00:16:3e:00:00:01,ip=10.0.0.2\", '' ]\n", &c, err), 0);
	CHECK_EQ(c.ndisks, 1);
	CHECK_EQ(c.nvifs, 2);
	CHECK_STR(c.vif[0], "mac=00:16:3e:00:00:01,ip=10.0.0.2");
	CHECK_STR(c.vif[1], "");
	CHECK_STR(c.disk[0], "file:/a.img,xvda,w");
	bad("name = \"d\"\nkernel = \"k\"\nvif = [ \"a\", \"b\", \"c\", \"d\", \"e\" ]\n", "t.cfg:3:", "vif: more than 4");

	bad("name = \"d\"\nkernel = \"k\"\ncolour = 3\n", "t.cfg:3:", "unknown key 'colour'");
	bad("name = \"d\"\nname = \"e\"\nkernel = \"k\"\n", "t.cfg:2:", "given twice");
	/* xl.cfg's extra is cmdline; both at once is one given twice */
	CHECK_EQ(parse("name = \"d\"\nkernel = \"k\"\nextra = \"console=hvc0\"\n", &c, err), 0);
	CHECK_STR(c.cmdline, "console=hvc0");
	bad("name = \"d\"\nkernel = \"k\"\ncmdline = \"a\"\nextra = \"b\"\n", "t.cfg:4:", "'extra' given twice (as 'cmdline')");
	bad("kernel = \"k\"\n", "t.cfg:", "missing 'name'");
	bad("name = \"d\"\n", "t.cfg:", "missing 'kernel'");
	bad("name = \"d\"\nkernel = \"k\"\nmemory = 3\n", "t.cfg:3:", "out of range");
	bad("name = \"d\"\nkernel = \"k\"\nmemory = 65537\n", "t.cfg:3:", "out of range");
	bad("name = \"d\"\nkernel = \"k\"\nvcpus = 0\n", "t.cfg:3:", "out of range");
	bad("name = \"d\"\nkernel = \"k\"\nvcpus = 9\n", "t.cfg:3:", "out of range");
	bad("name = \"d\"\nkernel = \"k\"\nweight = 0\n", "t.cfg:3:", "out of range");
	bad("name = \"d\nkernel = \"k\"\n", "t.cfg:1:", "unterminated");
	bad("name = \"d\" x\nkernel = \"k\"\n", "t.cfg:1:", "junk after string");
	bad("name = \"d\"\nkernel = \"k\"\nvcpus = 2x\n", "t.cfg:3:", "junk after integer");
	bad("name = \"d\"\nkernel = \"k\"\nvcpus = two\n", "t.cfg:3:", "expected an integer");
	bad("name \"d\"\n", "t.cfg:1:", "expected 'key = value'");
	bad("name = \"a b\"\nkernel = \"k\"\n", "t.cfg:1:", "use letters");
	bad("name = \"0123456789012345678901234567890123\"\nkernel = \"k\"\n", "t.cfg:1:", "length");
	bad("name = d\nkernel = \"k\"\n", "t.cfg:1:", "quoted string");

	/* config_load: file problems name the file, kernel problems the kernel. */
	CHECK(config_load("/nonexistent/x.cfg", &c, err, sizeof(err)) < 0);
	CHECK(strstr(err, "/nonexistent/x.cfg") != NULL);
	char path[] = "/tmp/pvlab-cfg-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("name = \"d\"\nkernel = \"/nonexistent/pvos.elf\"\n", f);
	fclose(f);
	CHECK(config_load(path, &c, err, sizeof(err)) < 0);
	CHECK(strstr(err, "/nonexistent/pvos.elf") != NULL);
	f = fopen(path, "w");
	fputs("name = \"d\"\nkernel = \"/tmp\"\n", f);
	fclose(f);
	CHECK(config_load(path, &c, err, sizeof(err)) < 0);
	CHECK(strstr(err, "not a regular file") != NULL);
	f = fopen(path, "w");
	fwrite("name\0\0\0", 1, 7, f);
	fclose(f);
	CHECK(config_load(path, &c, err, sizeof(err)) < 0);
	CHECK(strstr(err, "not a text config") != NULL);
	unlink(path);
	return CHECK_DONE();
}
