/* gateway_render.c - `tzsigner gateway render`: Kubernetes objects. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"

int cmd_gateway_render(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "tzsigner gateway render: not yet\n");
	return EXIT_FAILURE;
}
