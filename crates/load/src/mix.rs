//! The request mix: smooth weighted round-robin (nginx's `ngx_http_upstream_get_peer`), which
//! keeps exact proportions and interleaves them evenly, with no randomness and no per-request
//! state beyond one counter per request.

/// Smooth weighted round-robin (nginx): exact proportions, evenly interleaved.
pub(crate) struct Swrr {
    weights: Vec<i64>,
    current: Vec<i64>,
    total: i64,
}

impl Swrr {
    pub(crate) fn new(weights: &[u32]) -> Self {
        Swrr {
            weights: weights.iter().map(|&w| w as i64).collect(),
            current: vec![0; weights.len()],
            total: weights.iter().map(|&w| w as i64).sum(),
        }
    }
    pub(crate) fn next(&mut self) -> usize {
        if self.weights.len() == 1 {
            return 0;
        }
        let mut best = 0;
        for i in 0..self.weights.len() {
            self.current[i] += self.weights[i];
            if self.current[i] > self.current[best] {
                best = i;
            }
        }
        self.current[best] -= self.total;
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swrr_keeps_exact_proportions_interleaved() {
        let mut p = Swrr::new(&[3, 1]);
        let seq: Vec<_> = (0..8).map(|_| p.next()).collect();
        assert_eq!(seq, [0, 0, 1, 0, 0, 0, 1, 0]);
        let mut p = Swrr::new(&[5, 3, 2]);
        let mut counts = [0; 3];
        for _ in 0..1000 {
            counts[p.next()] += 1;
        }
        assert_eq!(counts, [500, 300, 200]);
    }
}
