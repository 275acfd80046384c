"""Two-region warm-standby DR stack: constructs, settings and stacks."""

from dr_stack.binding import install as _install_lazy_binding

# Cheap (it only registers an import hook); makes every later `from cdktf_cdktf_provider_aws.x import Y`
# load one module instead of all of them.
_install_lazy_binding()
