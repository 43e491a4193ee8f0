/* octez_dir_int.h - shared between the reader (octez_dir.c) and the writer
 * (octez_dir_write.c) of an octez base directory's key files. */
#ifndef TZS_VAULT_OCTEZ_DIR_INT_H
#define TZS_VAULT_OCTEZ_DIR_INT_H

#include <jansson.h>

#include "../base/file.h"
#include "octez_dir.h"

#define SECRET_FILE "secret_keys"
#define PUBLIC_FILE "public_keys"
#define PKH_FILE "public_key_hashs"

/* Loads one key file as a JSON array of {"name","value"}; a missing file is
 * an empty array. */
bool octez_dir_load_array(const char *dir, const char *file, enum file_flags flags, json_t **out,
			  struct err *e);

#endif
