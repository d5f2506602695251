// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cmd_status.c - placeholder until implemented. */
#include "common.h"
#include "commands.h"

int cmd_status(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ig_err("'status' is not implemented yet");
	return IG_EXIT_FAIL;
}
