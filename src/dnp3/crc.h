/* SPDX-License-Identifier: MIT */
/* DNP3 CRC-16 (polynomial 0x3D65, reflected 0xA6BC, init 0, final complement). */
#pragma once

#include <stddef.h>
#include <stdint.h>

uint16_t crc_dnp(const uint8_t *p, size_t n);
