//! Observing a service over one window: the USE samples of its process tree, what each process
//! and thread used ([`crate::window`]), the tree's roles and runtimes ([`crate::tree`]), the CPU
//! verdict ([`crate::cpu_verdict`]) and the host's noise ([`crate::host`]) — everything an
//! investigator needs from one pass over `/proc`, measured over the same instants.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::cpu_verdict::CpuVerdict;
use crate::host::{HostNoise, HostNoiseMeter};
use crate::tree::ProcessTree;
use crate::use_sampler::{run, UseSample, UseSampler};
use crate::window::TreeWindow;
use crate::ProcessSelector;

/// The result of [`observe_for`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// USE samples of the tree (summarise them with [`crate::summarize`]).
    pub samples: Vec<crate::UseSample>,
    /// Per-process and per-thread use over the window.
    pub window: TreeWindow,
    /// The tree at the last refresh.
    pub tree: ProcessTree,
    /// The CPU verdict of the window.
    pub cpu: CpuVerdict,
    /// Steal time and other processes' CPU over the same window.
    pub noise: HostNoise,
    /// Cores the verdict is relative to.
    pub cores: usize,
}

/// Samples the tree `selector` names at `hz` (10..=100) until `stop` is set or `max` passes, on a
/// thread of its own, and measures host noise over the same window.
pub fn observe_for(
    selector: ProcessSelector,
    hz: u32,
    max: Duration,
    stop: &AtomicBool,
) -> Observation {
    let mut sampler = UseSampler::new(selector);
    let meter = HostNoiseMeter::start();
    let samples: Vec<UseSample> = std::thread::scope(|scope| {
        scope
            .spawn(|| run(&mut sampler, hz, max, stop))
            .join()
            .unwrap_or_default()
    });
    let window = sampler.window();
    let noise = meter.finish(&sampler.identities(), Some(window.cpu_s));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Observation {
        samples,
        cpu: CpuVerdict::assess(&window, cores),
        tree: sampler.tree().clone(),
        window,
        noise,
        cores,
    }
}
