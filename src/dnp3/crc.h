/* SPDX-License-Identifier: MIT */
/*
 * DNP3 CRC-16 (polynomial 0x3D65, reflected 0xA6BC, init 0, final complement),
 * and CRC-32C (Castagnoli) for the event journal's records on disk.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

uint16_t crc_dnp(const uint8_t *p, size_t n);

/*
 * CRC-32C (polynomial 0x1EDC6F41, reflected 0x82F63B78, init and final
 * complement: the CRC of ext4, btrfs and iSCSI).  Check value over
 * "123456789" is 0xE3069283.
 */
uint32_t crc_32c(const uint8_t *p, size_t n);
