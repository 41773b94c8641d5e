import Foundation
import TensorCore

/// Saving and loading a model's weights as safetensors, under the PyTorch reference's names,
/// so `model.load_state_dict(safetensors.torch.load_file(path))` works on the other side.
extension LanguageModel {
    /// Every parameter as a named tensor, in registration order (PyTorch's `state_dict` order).
    public func weightTensors() -> [Safetensors.Tensor] {
        let flat = parameters.flatValues
        return tensorLayout.map { entry in
            Safetensors.Tensor(name: entry.name, shape: entry.shape,
                               values: Array(flat[entry.offset..<(entry.offset + entry.count)]))
        }
    }

    /// Writes the weights; `metadata` is stored in the header (the trainer puts the run config there).
    public func saveWeights(to path: String, metadata: [String: String] = [:]) throws {
        try Safetensors.write(weightTensors(), metadata: metadata, to: path)
    }

    /// Replaces every parameter with the tensor of the same name. A missing, unexpected or
    /// misshapen tensor is an error naming the file and the tensor; nothing is half-loaded.
    public func loadWeights(_ tensors: [Safetensors.Tensor], from path: String) throws {
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let layout = tensorLayout
        let expected = Set(layout.map(\.name))
        if let extra = tensors.first(where: { !expected.contains($0.name) }) {
            throw Safetensors.FormatError(path: path, message: "tensor '\(extra.name)' is not a parameter of this \(config.architecture.rawValue) model")
        }
        var flat = parameters.flatValues
        var loaded: [Int: String] = [:]   // offset → name, for tensors that share storage (a tied head)
        for entry in layout {
            guard let tensor = byName[entry.name] else {
                throw Safetensors.FormatError(path: path, message: "tensor '\(entry.name)' is missing")
            }
            guard tensor.shape == entry.shape else {
                throw Safetensors.FormatError(path: path, message: "tensor '\(entry.name)' has shape \(tensor.shape), the model expects \(entry.shape)")
            }
            if let first = loaded[entry.offset] {
                guard Array(flat[entry.offset..<(entry.offset + entry.count)]) == tensor.values else {
                    throw Safetensors.FormatError(path: path, message: "tied tensors '\(first)' and '\(entry.name)' differ")
                }
                continue
            }
            loaded[entry.offset] = entry.name
            flat.replaceSubrange(entry.offset..<(entry.offset + tensor.values.count), with: tensor.values)
        }
        parameters.flatValues = flat
    }
}
