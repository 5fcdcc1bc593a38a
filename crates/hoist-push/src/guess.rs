//! Which layer of the engine's export stream is about to be sent, guessed before its bytes
//! arrive, so that a layer to send is compressed (and streamed to the registry) while it
//! streams in, and an unchanged one is only hashed and set aside. A layer's identity (its
//! diff_id) is known only once it has streamed past. A wrong guess costs time, never
//! correctness: the spool hashes every layer and the push decides on that hash.
//!
//! What the export's names tell:
//! - Docker 25+ writes an OCI layout: a layer is `blobs/sha256/<diff_id>`, so its name says
//!   exactly which layer it is.
//! - Up to Docker 24, `docker save` writes each layer as `<v1 id>/layer.tar`, and the
//!   archive lists the directories in the lexical order of those ids (the engine tars a
//!   directory it filled first), which is no order of the image's. So a `layer.tar` may be
//!   any layer not yet seen: it is certainly one to send when every layer not yet seen is
//!   (a first push), certainly not when none is; otherwise the guess is "not on the way",
//!   and a layer found to be needed is compressed from its spool file.

use std::collections::HashSet;

use hoist_registry::Digest;

/// One image's layers, and whether each is to be sent.
#[derive(Debug)]
struct Layers {
    diff_ids: Vec<Digest>,
    send: Vec<bool>,
}

/// What a file of the export certainly is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guess {
    /// A layer to send, for this image (the first that can have it).
    Send(usize),
    /// A layer no image sends: every repository has it.
    Unchanged,
    /// It may be either, or is no layer.
    Unsure,
}

/// One kind for every possibility (`first` and `rest`: image, and whether it sends), or
/// [`Guess::Unsure`].
fn decide(first: (usize, bool), mut rest: impl Iterator<Item = (usize, bool)>) -> Guess {
    let (image, send) = first;
    if !rest.all(|(_, s)| s == send) {
        Guess::Unsure
    } else if send {
        Guess::Send(image)
    } else {
        Guess::Unchanged
    }
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
                    Layers { diff_ids, send }
                })
                .collect(),
            seen: HashSet::new(),
        }
    }

    /// What the file `name` of the export certainly is, if anything.
    pub(crate) fn guess(&self, name: &str) -> Guess {
        if let Some(hex) = name.strip_prefix("blobs/sha256/") {
            let mut holders = self.images.iter().enumerate().flat_map(|(i, l)| {
                l.diff_ids
                    .iter()
                    .zip(&l.send)
                    .filter(|(d, _)| d.hex() == hex)
                    .map(move |(_, send)| (i, *send))
            });
            return match holders.next() {
                None => Guess::Unsure, // a config, a manifest, a layer no one wants
                Some(first) => decide(first, holders),
            };
        }
        if name != "layer.tar" && !name.ends_with("/layer.tar") {
            return Guess::Unsure;
        }
        let mut unseen = self.images.iter().enumerate().flat_map(|(i, l)| {
            l.diff_ids
                .iter()
                .zip(&l.send)
                .filter(|(d, _)| !self.seen.contains(*d))
                .map(move |(_, send)| (i, *send))
        });
        match unseen.next() {
            None => Guess::Unsure,
            Some(first) => decide(first, unseen),
        }
    }

    /// A file of the export is complete, with this digest.
    pub(crate) fn seen(&mut self, digest: &Digest) {
        self.seen.insert(digest.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::Guess::{Send, Unchanged, Unsure};
    use super::*;

    fn d(s: &str) -> Digest {
        Digest::of(s.as_bytes())
    }

    /// Feeds the stream `files` (name, digest) and returns each layer's guess.
    fn guesses(guess: &mut LayerGuess, files: &[(&str, &str)]) -> Vec<Guess> {
        files
            .iter()
            .map(|(name, content)| {
                let g = guess.guess(name);
                guess.seen(&d(content));
                g
            })
            .collect()
    }

    #[test]
    fn a_first_push_compresses_every_layer_on_the_way_and_no_other_file() {
        let mut g = LayerGuess::new([vec![(d("base"), true), (d("app"), true)]]);
        let got = guesses(
            &mut g,
            &[
                ("VERSION", "1.0"),
                ("f0/layer.tar", "app"),
                ("a1/json", "meta"),
                ("a1/layer.tar", "base"),
                ("c.json", "cfg"),
            ],
        );
        assert_eq!(got, [Unsure, Send(0), Unsure, Send(0), Unsure]);
    }

    #[test]
    fn a_change_among_unchanged_layers_is_not_guessed_until_only_one_kind_is_left() {
        // The export's order is its directories' (v1 ids), not the image's: the changed
        // layer may come anywhere.
        let image = || vec![(d("base"), false), (d("app"), true), (d("cfg"), false)];
        let mut g = LayerGuess::new([image()]);
        let got = guesses(
            &mut g,
            &[
                ("1a/layer.tar", "cfg"),
                ("2b/layer.tar", "app"),
                ("3c/layer.tar", "base"),
            ],
        );
        // Unsure while both kinds remain; once the change has passed, the rest is unchanged.
        assert_eq!(got, [Unsure, Unsure, Unchanged]);
        // Once the changed layer has passed, what is left is unchanged (not even written);
        // once the unchanged ones have, what is left is to send.
        let mut g = LayerGuess::new([image()]);
        let got = guesses(
            &mut g,
            &[
                ("1a/layer.tar", "app"),
                ("2b/layer.tar", "base"),
                ("3c/layer.tar", "cfg"),
            ],
        );
        assert_eq!(got, [Unsure, Unchanged, Unchanged]);
        let mut g = LayerGuess::new([image()]);
        let got = guesses(
            &mut g,
            &[
                ("1a/layer.tar", "cfg"),
                ("2b/layer.tar", "base"),
                ("3c/layer.tar", "app"),
            ],
        );
        assert_eq!(got, [Unsure, Unsure, Send(0)]);
    }

    #[test]
    fn nothing_changed_compresses_nothing() {
        let mut g = LayerGuess::new([vec![(d("base"), false), (d("app"), false)]]);
        let got = guesses(&mut g, &[("a/layer.tar", "base"), ("b/layer.tar", "app")]);
        assert_eq!(got, [Unchanged, Unchanged]);
        let g = LayerGuess::new(Vec::<Vec<(Digest, bool)>>::new());
        assert_eq!(g.guess("a/layer.tar"), Unsure);
    }

    #[test]
    fn images_sharing_a_base_all_to_send_stream_to_one_of_them() {
        let mut g = LayerGuess::new([
            vec![(d("base"), true), (d("one"), true)],
            vec![(d("base"), true), (d("two"), true)],
        ]);
        let got = guesses(
            &mut g,
            &[
                ("a/layer.tar", "two"),
                ("b/layer.tar", "base"),
                ("c/layer.tar", "one"),
            ],
        );
        assert_eq!(got, [Send(0), Send(0), Send(0)]);
    }

    #[test]
    fn an_oci_layout_name_says_which_layer_it_is() {
        let g = LayerGuess::new([
            vec![(d("base"), false), (d("app"), true)],
            vec![(d("base"), true), (d("tool"), false)],
        ]);
        let name = |s: &str| format!("blobs/sha256/{}", d(s).hex());
        assert_eq!(g.guess(&name("app")), Send(0));
        assert_eq!(g.guess(&name("tool")), Unchanged);
        assert_eq!(
            g.guess(&name("base")),
            Unsure,
            "one image sends it, the other not"
        );
        assert_eq!(g.guess(&name("config")), Unsure);
    }
}
