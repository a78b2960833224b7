#ifndef CYAML_SHIM_H
#define CYAML_SHIM_H
// libyaml's event parser: Compose files named by a devcontainer.json are read with it.
#include <yaml.h>
#endif
