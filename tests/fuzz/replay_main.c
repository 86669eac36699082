/* SPDX-License-Identifier: MIT */
/*
 * Corpus replay for builds without libFuzzer: runs every file named on the
 * command line (directories are walked one level) through the target once.
 * A crash or sanitizer report fails the test; otherwise it prints the count.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        if (!f) {
                perror(path);
                return -1;
        }
        static uint8_t buf[1 << 20];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        /* Copy into an exact-size heap block so ASan catches any over-read. */
        uint8_t *exact = malloc(n ? n : 1);
        if (!exact)
                return -1;
        memcpy(exact, buf, n);
        LLVMFuzzerTestOneInput(exact, n);
        free(exact);
        return 0;
}

int main(int argc, char **argv)
{
        unsigned long files = 0;
        int failed = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0) {
                        perror(argv[i]);
                        failed = 1;
                        continue;
                }
                if (!S_ISDIR(st.st_mode)) {
                        failed |= run_file(argv[i]) < 0;
                        files++;
                        continue;
                }
                DIR *d = opendir(argv[i]);
                if (!d) {
                        perror(argv[i]);
                        failed = 1;
                        continue;
                }
                struct dirent *e;
                while ((e = readdir(d))) {
                        if (e->d_name[0] == '.')
                                continue;
                        char path[4096];
                        snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
                        failed |= run_file(path) < 0;
                        files++;
                }
                closedir(d);
        }
        printf("replayed %lu inputs\n", files);
        if (files == 0) {
                fprintf(stderr, "no corpus inputs found\n");
                return 1;
        }
        return failed;
}
