/* SPDX-License-Identifier: MIT */
/* Test helper: cfgcheck FILE -> what `dnp3gwd -t -c FILE` prints and exits with. */
#include <stdio.h>

#include "daemon/config.h"

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: cfgcheck FILE\n");
                return 64;
        }
        return gw_config_check_main(argv[1], stdout);
}
