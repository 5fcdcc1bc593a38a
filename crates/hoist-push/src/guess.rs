//! Which layer of the engine's export stream is about to be sent, guessed before its bytes
//! arrive, so that a layer to send is compressed while it streams in and an unchanged one
//! is only hashed and set aside. A layer's identity (its diff_id) is known only once it has
//! streamed past; the guess comes from the export's order. A wrong guess costs time, never
//! correctness: the spool hashes every layer and the push decides on that hash.
//!
//! The orders relied on:
//! - Docker 25+ writes an OCI layout: a layer is `blobs/sha256/<diff_id>`, so its name says
//!   exactly which layer it is.
//! - Up to Docker 24, `docker save` writes `<id>/layer.tar` files image by image, each
//!   image's layers in their order, and a layer an earlier image already wrote is not
//!   written again. The next file is therefore the first layer not yet seen of one of the
//!   images; when all those candidates are to be sent (or all not), the guess is certain.

use std::collections::HashSet;

use hoist_registry::Digest;

/// One image's layers in order, and whether each is to be sent.
#[derive(Debug)]
struct Layers {
    diff_ids: Vec<Digest>,
    send: Vec<bool>,
    next: usize,
}

/// The guess, fed with every file of the stream as it completes.
#[derive(Debug, Default)]
pub(crate) struct LayerGuess {
    images: Vec<Layers>,
    seen: HashSet<Digest>,
}

impl LayerGuess {
    /// One entry per image: its diff_ids in order, each with whether it is to be sent.
    pub(crate) fn new(images: impl IntoIterator<Item = Vec<(Digest, bool)>>) -> Self {
        Self {
            images: images
                .into_iter()
                .map(|layers| {
                    let (diff_ids, send) = layers.into_iter().unzip();
                    Layers {
                        diff_ids,
                        send,
                        next: 0,
                    }
                })
                .collect(),
            seen: HashSet::new(),
        }
    }

    /// Whether the file `name` of the export is a layer to send, and if so the first image
    /// it is guessed to be for.
    pub(crate) fn will_send(&mut self, name: &str) -> Option<usize> {
        if let Some(hex) = name.strip_prefix("blobs/sha256/") {
            return self.images.iter().position(|l| {
                l.diff_ids
                    .iter()
                    .zip(&l.send)
                    .any(|(d, send)| *send && d.hex() == hex)
            });
        }
        if name != "layer.tar" && !name.ends_with("/layer.tar") {
            return None;
        }
        let seen = &self.seen;
        let candidates: Vec<(usize, bool)> = self
            .images
            .iter_mut()
            .enumerate()
            .filter_map(|(i, l)| {
                while l.next < l.diff_ids.len() && seen.contains(&l.diff_ids[l.next]) {
                    l.next += 1;
                }
                l.send.get(l.next).map(|send| (i, *send))
            })
            .collect();
        if candidates.iter().all(|(_, send)| *send) {
            candidates.first().map(|(i, _)| *i)
        } else {
            None
        }
    }

    /// A file of the export is complete, with this digest.
    pub(crate) fn seen(&mut self, digest: &Digest) {
        self.seen.insert(digest.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Digest {
        Digest::of(s.as_bytes())
    }

    /// Feeds the stream `files` (name, digest) and returns each layer's guess.
    fn guesses(guess: &mut LayerGuess, files: &[(&str, &str)]) -> Vec<Option<usize>> {
        files
            .iter()
            .map(|(name, content)| {
                let g = guess.will_send(name);
                guess.seen(&d(content));
                g
            })
            .collect()
    }

    #[test]
    fn one_image_in_order_is_guessed_exactly() {
        let mut g = LayerGuess::new([vec![
            (d("base"), false),
            (d("app"), true),
            (d("cfg"), false),
        ]]);
        let got = guesses(
            &mut g,
            &[
                ("a1/layer.tar", "base"),
                ("a1/json", "meta"),
                ("b2/layer.tar", "app"),
                ("c3/layer.tar", "cfg"),
                ("abc.json", "config"),
                ("manifest.json", "m"),
            ],
        );
        assert_eq!(got, [None, None, Some(0), None, None, None]);
    }

    #[test]
    fn a_first_push_compresses_every_layer_and_no_other_file() {
        let mut g = LayerGuess::new([vec![(d("base"), true), (d("app"), true)]]);
        let got = guesses(
            &mut g,
            &[
                ("VERSION", "1.0"),
                ("a/layer.tar", "base"),
                ("b/layer.tar", "app"),
                ("c.json", "cfg"),
            ],
        );
        assert_eq!(got, [None, Some(0), Some(0), None]);
    }

    #[test]
    fn images_in_either_order_with_a_shared_base_written_once() {
        let images = || {
            [
                vec![(d("base"), false), (d("one"), true)],
                vec![(d("base"), false), (d("two"), true)],
            ]
        };
        // First image written first: its base, its own layer; the second's base is not
        // written again, so the next layer is the second image's own.
        for order in [["one", "two"], ["two", "one"]] {
            let mut g = LayerGuess::new(images());
            let got = guesses(
                &mut g,
                &[
                    ("a/layer.tar", "base"),
                    ("b/layer.tar", order[0]),
                    ("c/layer.tar", order[1]),
                ],
            );
            // The first file is a base for both candidates: certain. After it, both
            // candidates are layers to send (streamed to the first image's repository; the
            // other mounts it from there).
            assert_eq!(got, [None, Some(0), Some(0)], "{order:?}");
        }
    }

    #[test]
    fn candidates_that_disagree_are_not_compressed_on_the_way() {
        let mut g = LayerGuess::new([vec![(d("a"), true)], vec![(d("b"), false)]]);
        assert_eq!(
            g.will_send("x/layer.tar"),
            None,
            "either image may come first"
        );
    }

    #[test]
    fn an_oci_layout_name_says_which_layer_it_is() {
        let mut g = LayerGuess::new([vec![(d("base"), false), (d("app"), true)]]);
        assert_eq!(
            g.will_send(&format!("blobs/sha256/{}", d("app").hex())),
            Some(0)
        );
        assert_eq!(
            g.will_send(&format!("blobs/sha256/{}", d("base").hex())),
            None
        );
        assert_eq!(
            g.will_send(&format!("blobs/sha256/{}", d("config").hex())),
            None
        );
    }

    #[test]
    fn nothing_to_send_compresses_nothing() {
        let mut g = LayerGuess::new(Vec::<Vec<(Digest, bool)>>::new());
        assert_eq!(g.will_send("a/layer.tar"), None);
    }
}
