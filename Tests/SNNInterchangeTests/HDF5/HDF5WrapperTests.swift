import Foundation
import Testing
import SNNInterchange

/// The HDF5 wrapper against a file written by h5py (Fixtures/make_hdf5_fixture.py; the expected values below are
/// the literals that script wrote) and by round trip through the wrapper itself.
@Suite struct HDF5WrapperTests {
    let fixture = FixturePaths.fixture("h5py_fixture.h5")

    @Test func listsGroupsAndKindsOfAnH5pyFile() throws {
        let root = try HDF5File.open(fixture).root()
        #expect(try root.memberNames() == ["model"])
        let model = try root.openGroup("model")
        #expect(try model.memberNames() == ["bytes", "counts", "grid", "inner", "packed", "pi", "weights"])
        #expect(model.kind(of: "inner") == .group)
        #expect(model.kind(of: "weights") == .dataset)
        #expect(model.kind(of: "missing") == nil)
        #expect(root.contains("model/inner/type"))
        #expect(!root.contains("model/nothing/type"))
    }

    @Test func readsNumericDatasetsWithShapes() throws {
        let model = try HDF5File.open(fixture).root().openGroup("model")
        let w = try model.readDataset("weights", as: Float.self)
        #expect(w.shape == [2, 3])
        #expect(w.values == [0, 0.25, 0.5, 0.75, 1, 1.25])
        let pi = try model.readDataset("pi", as: Double.self)
        #expect(pi.shape == [])
        #expect(pi.values == [3.141592653589793])
        #expect(try model.readDataset("counts", as: Int64.self).values == [-3, 0, 7, 1 << 40])
        let grid = try model.readDataset("grid", as: Int32.self)
        #expect(grid.shape == [2, 2] && grid.values == [1, 2, 3, -4])
        #expect(try model.readDataset("bytes", as: UInt8.self).values == [0, 127, 255])
        // gzip-compressed (NIR's default) and converted float64 → Float by HDF5.
        #expect(try model.readDataset("packed", as: Float.self).values == [-1, -0.5, 0, 0.5, 1])
        // int32 → Double conversion.
        #expect(try model.readDataset("grid", as: Double.self).values == [1, 2, 3, -4])
        #expect(try model.openDataset("weights").info().valueClass == .float)
    }

    @Test func readsFixedAndVariableLengthStrings() throws {
        let inner = try HDF5File.open(fixture).root().openGroup("model/inner")
        let type = try inner.readStrings("type")
        #expect(type.shape == [] && type.values == ["LIF"])
        #expect(try inner.openDataset("type").info().isVariableLengthString)
        let edges = try inner.readStrings("edges")
        #expect(edges.shape == [2, 2] && edges.values == ["in", "fc", "fc", "out"])
        let fixed = try inner.readStrings("names_fixed")
        #expect(fixed.shape == [2] && fixed.values == ["a", "bcd"])
        #expect(try !inner.openDataset("names_fixed").info().isVariableLengthString)
        #expect(try inner.readStrings("unicode").values == ["τ = 5 ms"])
    }

    @Test func readsAttributes() throws {
        let root = try HDF5File.open(fixture).root()
        #expect(try root.attributeNames() == ["answer", "fixed_title", "layer_names", "ratio", "title", "vector"])
        #expect(try root.readScalarStringAttribute("title") == "fixture")
        #expect(try root.readScalarStringAttribute("fixed_title") == "fixed")
        #expect(try root.readScalarAttribute("answer", as: Int64.self) == 42)
        #expect(try root.readScalarAttribute("ratio", as: Double.self) == 0.125)
        #expect(try root.readStringAttribute("layer_names").values == ["dense", "dense_1"])
        let v = try root.readAttribute("vector", as: Float.self)
        #expect(v.shape == [3] && v.values == [1.5, -2.0, 3.25])
        #expect(try root.openGroup("model").openDataset("weights").readScalarStringAttribute("unit") == "volt")
    }

    @Test func roundTripsEverythingItWrites() throws {
        let path = FixturePaths.scratch("roundtrip.h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let file = try HDF5File.create(path)
            let root = try file.root()
            let g = try root.createGroup("g")
            try g.createGroup("h")
            try g.writeDataset("f", [1, 2, 3, 4, 5, 6] as [Float], shape: [3, 2])
            try g.writeDataset("d", [Double.pi], shape: [])
            try g.writeDataset("i64", [Int64.min, Int64.max], shape: [2])
            try g.writeDataset("i32", [Int32(-7)], shape: [1])
            try g.writeDataset("u8", [UInt8(9), 250], shape: [2, 1])
            try g.writeDataset("empty", [Float](), shape: [0])
            try g.writeStrings("vs", ["a", "", "ünï"], shape: [3])
            try g.writeStrings("fs", ["xy", "z"], shape: [2], fixedLength: true)
            try g.writeString("s", "NIRGraph")
            try root.writeStringAttribute("va", "variable")
            try root.writeStringAttribute("fa", "fixed", fixedLength: true)
            try root.writeAttribute("n", scalar: Int64(5))
            try root.writeAttribute("x", [0.5, 1.5] as [Double], shape: [2])
            try root.writeAttribute("n", scalar: Int64(6))   // replaces
            file.close()
        }
        let root = try HDF5File.open(path).root()
        let g = try root.openGroup("g")
        #expect(try g.memberNames() == ["d", "empty", "f", "fs", "h", "i32", "i64", "s", "u8", "vs"])
        #expect(try g.readDataset("f", as: Float.self) == HDF5Array(shape: [3, 2], values: [1, 2, 3, 4, 5, 6]))
        #expect(try g.readDataset("d", as: Double.self) == HDF5Array(shape: [], values: [Double.pi]))
        #expect(try g.readDataset("i64", as: Int64.self).values == [Int64.min, Int64.max])
        #expect(try g.readDataset("i32", as: Int32.self).values == [-7])
        #expect(try g.readDataset("u8", as: UInt8.self) == HDF5Array(shape: [2, 1], values: [9, 250]))
        #expect(try g.readDataset("empty", as: Float.self) == HDF5Array(shape: [0], values: []))
        #expect(try g.readStrings("vs").values == ["a", "", "ünï"])
        #expect(try g.readStrings("fs").values == ["xy", "z"])
        #expect(try g.readStrings("s") == HDF5Array(shape: [], values: ["NIRGraph"]))
        #expect(try root.readScalarStringAttribute("va") == "variable")
        #expect(try root.readScalarStringAttribute("fa") == "fixed")
        #expect(try root.readScalarAttribute("n", as: Int64.self) == 6)
        #expect(try root.readAttribute("x", as: Double.self).values == [0.5, 1.5])
    }

    @Test func failuresNameTheFileAndPath() throws {
        let missing = FixturePaths.scratch("missing.h5")
        #expect(throws: HDF5Error(file: missing, path: "/", message: "no such file")) { try HDF5File.open(missing) }
        let notHDF5 = FixturePaths.fixture("make_hdf5_fixture.py")
        #expect(throws: HDF5Error(file: notHDF5, path: "/", message: "not an HDF5 file")) { try HDF5File.open(notHDF5) }
        let model = try HDF5File.open(fixture).root().openGroup("model")
        #expect(throws: HDF5Error(file: fixture, path: "/model/nope", message: "no such dataset")) {
            try model.readDataset("nope", as: Float.self)
        }
        #expect(throws: HDF5Error(file: fixture, path: "/model/inner", message: "is not a dataset")) {
            try model.openDataset("inner")
        }
        #expect(throws: HDF5Error(file: fixture, path: "/model/inner/type", message: "holds string values, expected numbers")) {
            try model.readDataset("inner/type", as: Float.self)
        }
        #expect(throws: HDF5Error(file: fixture, path: "/model/weights", message: "holds float values, expected strings")) {
            try model.readStrings("weights")
        }
        #expect(throws: HDF5Error(file: fixture, path: "/model@nothing", message: "no such attribute")) {
            try model.readScalarStringAttribute("nothing")
        }
        // Writing into a read-only file fails with HDF5's reason attached, not a crash or a stderr dump.
        do {
            try model.writeDataset("x", [1] as [Float], shape: [1])
            Issue.record("write to a read-only file succeeded")
        } catch let e as HDF5Error {
            #expect(e.file == fixture && e.path == "/model/x" && e.message.hasPrefix("cannot create the dataset"))
        }
        #expect(throws: HDF5Error(file: fixture, path: "/model/y", message: "shape [2] does not hold 3 values")) {
            try model.writeDataset("y", [1, 2, 3] as [Float], shape: [2])
        }
    }
}
