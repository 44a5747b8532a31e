# SPDX-License-Identifier: MIT
# UEFI shell script for smpattack-wait-sipi-smi-bare: the smpattack payload
# without nestvisor, case wait-sipi-smi (the reference timing).
fs0:\smpattack.efi wait-sipi-smi
