#!/bin/sh
# azd preprovision hook: choose the Key Vault name once per deployment (issue #15).
#
# Purge protection is on, so after `azd down` the vault stays soft-deleted, and its name taken, for
# its retention period. A name fixed by the environment alone would make the next `azd up` of the
# same environment fail until then; so the name is chosen here, kept in the azd environment
# (BASEGATE_KEYVAULT_NAME, passed to infra/main.bicep as keyVaultName) for the deployment's life,
# and forgotten by the postdown hook (keyvault-forget.sh): the next deployment gets a new vault.
# An environment provisioned before this hook existed keeps its vault (AZURE_KEY_VAULT_NAME).
set -eu

value() { azd env get-value "$1" 2>/dev/null || true; }

if [ -n "$(value BASEGATE_KEYVAULT_NAME)" ]; then exit 0; fi
name=$(value AZURE_KEY_VAULT_NAME)
if [ -z "$name" ]; then
  # kv- and 16 hex digits: a valid vault name (3-24 characters, a letter first), unique enough worldwide.
  name="kv-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
fi
azd env set BASEGATE_KEYVAULT_NAME "$name"
echo "basegate: Key Vault of this deployment: $name"
