"""Writes small tokenizer files, in the Hugging Face formats, beside the tiny checkpoints of this folder.

The checkpoints (make_fixtures.py) have a 512-token vocabulary and no tokenizer; these files give each one a
tokenizer of exactly that size, so the quick start runs on them as on a downloaded checkpoint:
- gpt2, gpt2-bf16-sharded, gpt2-reward-model: GPT-2-style byte-level BPE (vocab.json, merges.txt, tokenizer.json),
  <|padding|> = 0, <|startoftext|> = 1, <|endoftext|> = 2 (the checkpoints' pad / bos / eos ids);
- llama, qwen2: the same BPE as a Llama-3-style tokenizer.json with <pad> = 0, <s> = 1 (added in front) and </s> = 2;
- distilbert-sentiment: a BERT-style WordPiece vocab.txt, [PAD] = 0.
The BPE merges are learned from the corpus below (most frequent adjacent pair first, ties by the pair's spelling).
The model outputs in expected.safetensors do not depend on these files (they are computed from token ids).
Run: python3 make_tokenizers.py  (standard library only).
"""
import collections
import json
import os
import re

VOCABULARY = 512
CORPUS = """
The movie was wonderful, I loved it. The movie was terrible and the story was boring.
My favourite food is pizza with lots of cheese. My favourite food is a warm bowl of soup.
The acting was great and the music was beautiful. The plot was slow but the ending was good.
I would watch this film again with my friends. I would not recommend this film to anyone.
The restaurant was quiet and the service was friendly. The dinner was cold and the waiter was rude.
This is the best book I have read this year. This is the worst book I have ever read.
The weather was sunny, so we walked to the park. It rained all day and we stayed at home.
She said the cake was sweet and the coffee was strong. He thought the story was funny and sad.
We liked the characters, the dialogue and the camera work. The scenes were long and the jokes were old.
What a lovely day! What an awful day? Nothing happened, and nothing was said.
The first half was exciting; the second half was dull. Overall it was a fine evening.
"""
SPLIT = re.compile(r" ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+")


def byte_alphabet():
    """GPT-2's bytes_to_unicode: every byte as one printable character."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def train_bpe(specials):
    alphabet = byte_alphabet()
    words = collections.Counter(
        tuple(alphabet[b] for b in piece.encode("utf-8")) for piece in SPLIT.findall(CORPUS.strip().replace("\n", " ")))
    vocab = {token: i for i, token in enumerate(specials)}
    for b in range(256):
        vocab[alphabet[b]] = len(vocab)
    merges = []
    while len(vocab) < VOCABULARY:
        pairs = collections.Counter()
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            raise SystemExit("the corpus is too small for the vocabulary")
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        vocab[best[0] + best[1]] = len(vocab)
        merged = collections.Counter()
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += count
        words = merged
    return vocab, merges


def added(specials):
    return [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
            for i, t in enumerate(specials)]


def tokenizer_json(vocab, merges, specials, post_processor):
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added(specials), "normalizer": None,
        "pre_tokenizer": byte_level, "post_processor": post_processor, "decoder": byte_level,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False, "vocab": vocab, "merges": [list(m) for m in merges]},
    }


def write(folder, name, content):
    with open(os.path.join(folder, name), "w", encoding="utf-8", newline="\n") as f:
        f.write(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, indent=2) + "\n")


def max_positions(folder):
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    assert config["vocab_size"] == VOCABULARY, folder
    return config.get("n_positions") or config.get("max_position_embeddings")


def gpt2_style(folder):
    specials = ["<|padding|>", "<|startoftext|>", "<|endoftext|>"]
    vocab, merges = train_bpe(specials)
    write(folder, "vocab.json", vocab)
    write(folder, "merges.txt", "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    write(folder, "tokenizer.json", tokenizer_json(vocab, merges, specials,
          {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}))
    write(folder, "tokenizer_config.json", {
        "tokenizer_class": "GPT2Tokenizer", "bos_token": specials[1], "eos_token": specials[2], "pad_token": specials[0],
        "unk_token": specials[2], "add_prefix_space": False, "model_max_length": max_positions(folder)})


def llama_style(folder):
    specials = ["<pad>", "<s>", "</s>"]
    vocab, merges = train_bpe(specials)
    bos = {"SpecialToken": {"id": "<s>", "type_id": 0}}
    post = {"type": "TemplateProcessing",
            "single": [bos, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [bos, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
    write(folder, "tokenizer.json", tokenizer_json(vocab, merges, specials, post))
    write(folder, "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>",
        "padding_side": "left", "model_max_length": max_positions(folder)})


def wordpiece(folder):
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = sorted(set(CORPUS.lower()) - set(" \n"))
    tokens = specials + chars + ["##" + c for c in chars if c.isalnum()]
    words = collections.Counter(re.findall(r"[a-z]+", CORPUS.lower()))
    for word, _ in sorted(words.items(), key=lambda e: (-e[1], e[0])):
        if len(tokens) == VOCABULARY:
            break
        if word not in tokens:
            tokens.append(word)
    # Then word-final pieces (##ing) and word-initial pieces (beau), most frequent first.
    pieces = collections.Counter(["##" + w[i:] for w in words for i in range(1, len(w) - 1)] + [w[:i] for w in words for i in range(2, len(w))])
    for piece, _ in sorted(pieces.items(), key=lambda e: (-e[1], e[0])):
        if len(tokens) == VOCABULARY:
            break
        if piece not in tokens:
            tokens.append(piece)
    assert len(tokens) == VOCABULARY
    max_positions(folder)
    write(folder, "vocab.txt", "".join(t + "\n" for t in tokens))
    write(folder, "tokenizer_config.json", {
        "tokenizer_class": "DistilBertTokenizer", "do_lower_case": True, "cls_token": "[CLS]", "sep_token": "[SEP]",
        "pad_token": "[PAD]", "mask_token": "[MASK]", "unk_token": "[UNK]", "model_max_length": max_positions(folder)})


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    for name in ["gpt2", "gpt2-bf16-sharded", "gpt2-reward-model"]:
        gpt2_style(os.path.join(here, name))
    for name in ["llama", "qwen2"]:
        llama_style(os.path.join(here, name))
    wordpiece(os.path.join(here, "distilbert-sentiment"))
