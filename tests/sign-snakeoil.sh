#!/bin/sh
# SPDX-License-Identifier: MIT
#
# sign-snakeoil.sh IN OUT
#
# Signs the EFI image IN into OUT with the test-only "snakeoil" key that
# Debian's ovmf package ships with its Secure Boot build
# (/usr/share/ovmf/PkKek-1-snakeoil.{key,pem}; the key's passphrase,
# "snakeoil", is published in the package's README.Debian), using sbsign
# (sbsigntool) as docs/hardware.md does with a real key.  For the
# secure-boot tests only: that key is public, never trust it.
set -eu

[ $# -eq 2 ] || { echo "usage: sign-snakeoil.sh IN OUT" >&2; exit 1; }
in=$1 out=$2
key=/usr/share/ovmf/PkKek-1-snakeoil.key
cert=/usr/share/ovmf/PkKek-1-snakeoil.pem
for f in "$key" "$cert"; do
	[ -r "$f" ] || { echo "sign-snakeoil.sh: $f missing (apt-get install ovmf)" >&2; exit 1; }
done
for tool in openssl sbsign sbverify; do
	command -v $tool >/dev/null 2>&1 ||
		{ echo "sign-snakeoil.sh: $tool missing (apt-get install openssl sbsigntool)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl pkey -in "$key" -passin pass:snakeoil -out "$tmp/key.pem"
# sbsign warns about the gaps GNU-EFI's objcopy leaves between sections:
# they are not part of the Authenticode hash, as in the firmware's check.
sbsign --key "$tmp/key.pem" --cert "$cert" --output "$tmp/signed.efi" "$in" 2>/dev/null
sbverify --cert "$cert" "$tmp/signed.efi" >/dev/null 2>&1 ||
	{ echo "sign-snakeoil.sh: sbverify rejects the signed $in" >&2; exit 1; }
mv "$tmp/signed.efi" "$out"
