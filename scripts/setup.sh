#!/usr/bin/env bash
# Installs what sockscope needs to build, test and benchmark, when it is missing.
#   build: libpcap-dev, libssl-dev (headers only: libpcap and libssl are loaded with dlopen), pkg-config
#   tests: the real peers (OpenBSD nc, ncat, socat, python3, perl, tcpdump -r), iproute2 (ip netns, ss),
#          nftables, util-linux (unshare), libcap2-bin (capsh), coreutils (sha256sum);
#          python3-jsonschema for the JSON schema test; python3-cryptography for certificates with hostile names; openssl (s_server, s_client, test
#          certificates) and tshark (decrypting a capture with --keylog) for the TLS tests;
#          curl, dante-server (danted) and tinyproxy for the proxy tests; libxml2-utils (xmllint)
#          and librsvg2-bin (rsvg-convert) for the SVG pictures; openssh-server (sshd) and
#          redis-server for probe --banner (started by the tests on loopback ports only);
#          dnsmasq, chrony, snmpd and memcached answer probe -u's service requests, and nmap -sU is
#          compared with it (all run in a network namespace of the test's own); ndiff and
#          python3-libnmap read probe -oX's XML (nmap.dtd, from nmap-common, validates it);
#          slurm-wlm and munge run deploy/slurm's job array on a one-node cluster the test
#          starts, python3-yaml reads deploy/kubernetes's manifest
#   bench: iperf3, hyperfine, hping3 (only with BENCH=1)
# As root it uses apt-get; otherwise it lists what is missing and carries on.
set -euo pipefail

packages=(libpcap-dev libssl-dev openssl tshark pkg-config netcat-openbsd ncat perl socat python3 python3-jsonschema python3-cryptography iproute2 nftables util-linux libcap2-bin coreutils tcpdump man-db curl dante-server tinyproxy libxml2-utils librsvg2-bin openssh-server redis-server dnsmasq chrony snmpd memcached nmap ndiff python3-libnmap slurm-wlm munge python3-yaml)
if [ "${BENCH:-0}" = 1 ]; then packages+=(iperf3 hyperfine hping3); fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
# python3 may come from elsewhere (pyenv); accept any python3 on PATH.
if command -v python3 >/dev/null 2>&1; then
  kept=()
  for package in "${missing[@]}"; do [ "$package" = python3 ] || kept+=("$package"); done
  missing=("${kept[@]}")
fi
read -r -a missing <<< "${missing[*]:-}"

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing Debian packages: ${missing[*]} (run 'make' as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 0
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
