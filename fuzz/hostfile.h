/* SPDX-License-Identifier: Apache-2.0 */
/* The fuzz input as a host file, for the readers that take a path (a config file):
 * written whole to one temporary file of the process, rewritten for each input. */
#ifndef EXCISE_FUZZ_HOSTFILE_H
#define EXCISE_FUZZ_HOSTFILE_H
#include <stddef.h>
#include <stdint.h>
/* The file's path holding exactly data[0..size), or NULL when it cannot be written. */
const char *fuzz_hostfile(const uint8_t *data, size_t size);
#endif
