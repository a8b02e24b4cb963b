/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EXCISE_FUZZ_H
#define EXCISE_FUZZ_H
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#endif
