# SPDX-License-Identifier: MIT
# UEFI shell script for the manual SMM timing reference of smpattack-wait-sipi-smi (docs/testing.md): the smpattack payload
# without nestvisor, case wait-sipi-smi (the reference timing).
fs0:\smpattack.efi wait-sipi-smi
