// Injected randomness: the interface lives in proto/random.hpp (shared with the authentication
// layer); the sync core keeps its historical names.
#pragma once

#include "proto/random.hpp"

namespace ntplite::clock {

using proto::Random;
using proto::SeededRandom;

}  // namespace ntplite::clock
