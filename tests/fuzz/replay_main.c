/*
 * replay_main - feed files to LLVMFuzzerTestOneInput without libFuzzer.
 *
 * Usage: fuzz-replay DIR|FILE...
 *
 * Every regular file of each directory (not recursive; names starting with
 * '.' skipped) is read whole and given to the target once; one line
 * "ok - replay FILE" follows each.  A crash or a sanitizer report ends the
 * program with a non-zero status, which tests/run-tests counts as a
 * failure.  Built with ASan and UBSan by "make tests".
 * SPDX-License-Identifier: ISC
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_FILE	(16 * 1024 * 1024)

static int replay_file(const char *path)
{
	unsigned char *data;
	struct stat st;
	size_t  n;
	FILE   *fp;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (st.st_size > REPLAY_MAX_FILE) {
		printf("ok - replay %s (skipped: larger than %d bytes)\n", path, REPLAY_MAX_FILE);
		return 0;
	}
	if ((fp = fopen(path, "rb")) == NULL) {
		printf("not ok - replay %s: cannot open\n", path);
		return -1;
	}
	data = malloc((size_t) st.st_size + 1);
	n = data ? fread(data, 1, (size_t) st.st_size, fp) : 0;
	fclose(fp);
	if (data == NULL) {
		printf("not ok - replay %s: out of memory\n", path);
		return -1;
	}
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	printf("ok - replay %s\n", path);
	fflush(stdout);
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int replay_directory(const char *dir)
{
	struct dirent *entry;
	char  **names = NULL;
	size_t  count = 0;
	char    path[4096];
	size_t  i;
	int     rc = 0;
	DIR    *dp;

	if ((dp = opendir(dir)) == NULL)
		return replay_file(dir);
	while ((entry = readdir(dp)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		names = realloc(names, (count + 1) * sizeof(char *));
		names[count++] = strdup(entry->d_name);
	}
	closedir(dp);
	if (count)
		qsort(names, count, sizeof(char *), compare_names);
	for (i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		rc |= replay_file(path);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int     rc = 0;
	int     i;

	for (i = 1; i < argc; i++)
		rc |= replay_directory(argv[i]);
	return rc ? 1 : 0;
}
